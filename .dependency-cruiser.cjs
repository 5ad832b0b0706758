/**
 * The house's arrows, checked by `npm test` (npm run test:deps): imports flow one way —
 * step-definitions -> expectations -> tasks -> targets -> clients — with the World and the
 * lifecycle above them, and no loop anywhere. Type-only imports count: a loop of types is still a
 * loop a reader must untangle. docs/architecture.md draws the picture.
 */
const layer = (name) => `^support/${name}/`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import loop: modules that cannot be read (or changed) one without the other.', from: {}, to: { circular: true } },
    {
      name: 'tasks-never-judge',
      severity: 'error',
      comment: 'Tasks act and gather; expectations judge what they gathered. A task that imports an expectation judges.',
      from: { path: layer('tasks') },
      to: { path: layer('expectations') },
    },
    {
      name: 'expectations-are-pure',
      severity: 'error',
      comment: 'Expectations judge values: they never reach the World, the lifecycle or a client that sends a request.',
      from: { path: layer('expectations') },
      to: { dependencyTypesNot: ['type-only'], path: ['^support/world\\.ts$', '^support/lifecycle\\.ts$', '^support/hooks\\.ts$', '^support/clients/(raw-http|database-audit|target-database|slow-connect-fault|connection-slot-filler)\\.ts$'] },
    },
    {
      name: 'targets-below-the-scenario',
      severity: 'error',
      comment: 'The targets (the port and its adapter) know nothing of scenarios: no World, tasks, expectations, monitoring or report.',
      from: { path: layer('targets') },
      to: { path: ['^support/world\\.ts$', '^support/lifecycle\\.ts$', layer('tasks'), layer('expectations'), layer('monitoring'), layer('report')] },
    },
    {
      name: 'clients-at-the-bottom',
      severity: 'error',
      comment: 'Clients speak HTTP, WebSocket and SQL: they know no target, task or scenario.',
      from: { path: layer('clients') },
      to: { path: ['^support/(world|lifecycle|hooks)\\.ts$', layer('targets'), layer('tasks'), layer('expectations'), layer('monitoring'), layer('report'), layer('load')] },
    },
    {
      name: 'engines-below-the-scenario',
      severity: 'error',
      comment: 'The load engine and the monitors serve tasks and the lifecycle; they do not drive scenarios.',
      from: { path: [layer('load'), layer('monitoring')] },
      to: { path: ['^support/(world|lifecycle|hooks)\\.ts$', layer('tasks'), layer('expectations')] },
    },
    {
      name: 'the-world-is-small',
      severity: 'error',
      comment: 'The World holds a scenario\'s state; what it does before and after lives in the lifecycle, what it does between in tasks.',
      from: { path: '^support/world\\.ts$' },
      to: { path: [layer('tasks'), layer('expectations'), layer('report'), '^support/lifecycle\\.ts$'] },
    },
    {
      name: 'steps-speak-no-wire',
      severity: 'error',
      comment: 'Steps call tasks and expectations; HTTP, WebSocket and SQL live in support/clients.',
      from: { path: '^step-definitions/' },
      to: { path: ['node_modules/(pg|axios|ws|undici)/', '^support/clients/(raw-http|database-audit|target-database)\\.ts$'] },
    },
    {
      name: 'suite-and-system-apart',
      severity: 'error',
      comment: 'The suite asks the running system, as QA would ask a deployment; the system never imports the suite.',
      from: { path: '^(support|step-definitions)/' },
      to: { path: '^services/' },
    },
    { name: 'system-knows-no-suite', severity: 'error', from: { path: '^services/' }, to: { path: '^(support|step-definitions|tools|bench)/' } },
    { name: 'testkit-stands-alone', severity: 'error', comment: 'testkit/ imports nothing of the repository.', from: { path: '^testkit/' }, to: { path: '^(support|services|step-definitions|tools|bench|env)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
