// The report's map of the test plan: readable epics (phases) and features (test cases), severity,
// and links to the plan's sections. Plain CommonJS because cucumber.js loads it before ts-node is
// registered. Used as an allure-js-commons lifecycle listener (cucumber.js formatOptions.listeners):
// allure-cucumberjs turns tags into labels only by regex, so the readable names are set here.

/** Where the plan lives; CI can point it at the plan's web address. */
// Relative to allure-report/index.html: the plan inside this repository (docs/test-plan.md).
const PLAN_URL = process.env.TEST_PLAN_URL || '../docs/test-plan.md';

const PHASES = {
  phase1: 'Phase 1: core pool exhaustion detection',
  phase2: 'Phase 2: advanced queue management and leak detection',
  phase3: 'Phase 3: multi-service isolation and recovery',
};

/** The plan's names and anchors; severity from the plan's risk assessment (what breaks production). */
const TEST_CASES = {
  tc1: { name: 'Test Case 1: Pool Saturation Detection', anchor: 'test-case-1-pool-saturation-detection', severity: 'critical' },
  tc2: { name: 'Test Case 2: Connection Queue Management Under Load', anchor: 'test-case-2-connection-queue-management-under-load', severity: 'critical' },
  tc3: { name: 'Test Case 3: Backpressure Signal Validation', anchor: 'test-case-3-backpressure-signal-validation', severity: 'critical' },
  tc4: { name: 'Test Case 4: Connection Leak Detection and Prevention', anchor: 'test-case-4-connection-leak-detection-and-prevention', severity: 'critical' },
  tc5: { name: 'Test Case 5: Graceful Degradation Under Sustained Load', anchor: 'test-case-5-graceful-degradation-under-sustained-load', severity: 'normal' },
  tc6: { name: 'Test Case 6: Multi-Service Pool Isolation', anchor: 'test-case-6-multi-service-pool-isolation', severity: 'normal' },
  tc7: { name: 'Test Case 7: Pool Recovery and Auto-Healing', anchor: 'test-case-7-pool-recovery-and-auto-healing', severity: 'critical' },
};

const tagOf = (label) => String(label.value).replace(/^@/, '');

/** Rewrites the raw @phaseN / @tcN labels into the plan's names, adds severity and the plan links. */
function applyPlan(result) {
  const labels = result.labels;
  const testCases = [];
  for (const label of labels) {
    if (label.name === 'epic' && PHASES[tagOf(label)]) label.value = PHASES[tagOf(label)];
    if (label.name === 'story' && TEST_CASES[tagOf(label)]) testCases.push(TEST_CASES[tagOf(label)]);
  }
  if (testCases.length === 0) return;
  // feature = the plan's test case; the Gherkin feature title moves to story.
  for (const label of labels) {
    if (label.name === 'story' && TEST_CASES[tagOf(label)]) label.value = labels.find((l) => l.name === 'feature')?.value ?? label.value;
  }
  result.labels = labels.filter((l) => l.name !== 'feature');
  for (const testCase of testCases) {
    result.labels.push({ name: 'feature', value: testCase.name });
    result.links.push({ type: 'tms', name: `Test plan: ${testCase.name}`, url: `${PLAN_URL}#${testCase.anchor}` });
  }
  if (!result.labels.some((l) => l.name === 'severity')) result.labels.push({ name: 'severity', value: testCases[0].severity });
}

/**
 * A scenario whose check could not be judged on this target (the step recorded a `notOffered`
 * label), or whose action was skipped half-way, is reported skipped with the reasons — never passed:
 * Allure would otherwise take the best of its steps.
 */
function markNotOffered(result) {
  const notes = result.labels.filter((label) => label.name === 'notOffered').map((label) => label.value);
  const skippedStep = (result.steps ?? []).some((step) => step.status === 'skipped');
  if (result.status !== 'passed' || (notes.length === 0 && !skippedStep)) return;
  result.status = 'skipped';
  result.statusDetails = { ...result.statusDetails, message: notes.length > 0 ? `not run or not judged on this target:\n${notes.join('\n')}` : 'a step was skipped on this target' };
}

/**
 * A check passes on to the next whatever its verdict (support/lifecycle.ts), with an inner step that
 * says the verdict: "not met: …" (failed) or "not judged: …" (skipped). The check itself is shown
 * with that verdict, as the verdict table shows it — never as a green tick.
 */
function markCheckVerdicts(result) {
  for (const step of result.steps ?? []) {
    if (step.status !== 'passed') continue;
    const inner = step.steps ?? [];
    const verdict = inner.find((s) => s.status === 'failed') ?? inner.find((s) => s.status === 'skipped' && s.name.startsWith('not judged'));
    if (!verdict) continue;
    step.status = verdict.status;
    step.statusDetails = { ...step.statusDetails, message: verdict.name };
  }
}

function beforeTestResultWrite(result) {
  applyPlan(result);
  markCheckVerdicts(result);
  markNotOffered(result);
}

module.exports = { PHASES, TEST_CASES, PLAN_URL, applyPlan, markCheckVerdicts, markNotOffered, planListener: { beforeTestResultWrite } };
