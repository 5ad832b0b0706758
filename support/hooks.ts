import { After, AfterAll, AfterStep, Before, BeforeAll, BeforeStep, setDefaultTimeout, setDefinitionFunctionWrapper, setParallelCanAssign } from '@cucumber/cucumber';
import { unmetNeeds } from './environment/capabilities';
import { canRunBeside } from './parallel';
import { describeRun, writeAllureEnvironment } from './report/allure-environment';
import { startSystem, stopSystem } from './system-under-test';
import { NotOffered } from './targets/not-offered';
import { STEP } from './timeouts';
import { PoolWorld } from './world';

// Steps that wait on the plan's operations (5 s holds, 30 s timeouts) set their own longer limits.
setDefaultTimeout(STEP.default);

// --parallel N: a @runs-alone scenario (timing, latency, PostgreSQL's slots) has the machine to itself.
setParallelCanAssign(canRunBeside);

/**
 * Every step runs inside this wrapper: when the target cannot give what the step needs (a knob, a
 * figure, a test endpoint: NotOffered), an action is skipped with the rest of its scenario and a
 * check is "not judged" — each reported with the reason, never passed silently and never failed for
 * the suite's own lack. (Hooks run outside a step and rethrow.)
 */
setDefinitionFunctionWrapper((step: (...args: unknown[]) => unknown) =>
  async function (this: unknown, ...args: unknown[]) {
    try {
      return await step.apply(this, args);
    } catch (error) {
      if (error instanceof NotOffered && this instanceof PoolWorld && this.currentStep) return this.reportNotOffered(error);
      throw error;
    }
  },
);

BeforeAll({ timeout: STEP.startSystem }, async function () {
  const system = await startSystem();
  writeAllureEnvironment(await describeRun(system, String(this.parameters.profile ?? 'default')));
});

AfterAll({ timeout: STEP.stopSystem }, async function () {
  await stopSystem();
});

// Before preparing anything: a scenario that needs what this target does not offer (database access,
// fault injection) is skipped, with the reason on the console and in the report — never passed silently.
Before({ name: 'skip what this target cannot run' }, async function (this: PoolWorld, { pickle }) {
  const reason = unmetNeeds(pickle.tags.map((tag) => tag.name), this.system.deployment);
  if (!reason) return undefined;
  process.stderr.write(`\nskipped "${pickle.name}": ${reason}\n`);
  await this.attach(reason, { mediaType: 'text/plain', fileName: 'why-skipped.txt' });
  return 'skipped';
});

Before({ name: 'start from the start-up pool shape with drained pools', timeout: STEP.default }, async function (this: PoolWorld) {
  await this.prepare();
});

BeforeStep(function (this: PoolWorld, { pickleStep }) {
  this.currentStep = pickleStep;
});

// Each check says which evidence it used: the notes its reads left, attached to the step.
AfterStep(async function (this: PoolWorld) {
  this.currentStep = undefined;
  if (this.stepEvidence.size > 0) await this.attach(`evidence: ${[...this.stepEvidence].join('; ')}`, { mediaType: 'text/plain', fileName: 'evidence.txt' });
  this.stepEvidence.clear();
});

// Waits for every request the scenario started, then audits for leaks: a leak fails the scenario. A
// scenario with a check this target could not judge ends skipped, not passed.
After({ name: 'wait for every request, attach the timeline, audit for leaks', timeout: STEP.finishScenario }, async function (this: PoolWorld) {
  await this.finish();
  return this.notOffered.some((step) => step.kind === 'not judged') ? 'skipped' : undefined;
});
