import { After, AfterAll, AfterStep, Before, BeforeAll, BeforeStep, setDefaultTimeout, setDefinitionFunctionWrapper, setParallelCanAssign } from '@cucumber/cucumber';
import 'allure-cucumberjs';
import { config as chaiConfig } from 'chai';
import { attachStepEvidence, finish, prepare, stepFailed } from './lifecycle';
import { unmetNeeds } from './needs';
import { canRunBeside } from './parallel';
import { describeRun, writeAllureEnvironment } from './report/allure-environment';
import { startSystem, stopSystem } from './system-under-test';
import { STEP } from './timeouts';
import { PoolWorld } from './world';

// A check not met says what the service did: chai's default cuts an array of answers to "[ …(5) ]".
chaiConfig.truncateThreshold = 1000;

// Steps that wait on the plan's operations (5 s holds, 30 s timeouts) set their own longer limits.
setDefaultTimeout(STEP.default);

// --parallel N: a @runs-alone scenario (timing, latency, PostgreSQL's slots) has the machine to itself.
setParallelCanAssign(canRunBeside);

// Every step runs inside this wrapper: what the target cannot give, and a check not met, are
// reported as such and the scenario goes on or stops as support/lifecycle.ts says. (Hooks run
// outside a step and rethrow.)
setDefinitionFunctionWrapper((step: (...args: unknown[]) => unknown) =>
  async function (this: unknown, ...args: unknown[]) {
    try {
      return await step.apply(this, args);
    } catch (error) {
      if (this instanceof PoolWorld) return stepFailed(this, error);
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

// Before preparing anything: a scenario that needs what this target does not offer is skipped, with
// the reason on the console and in the report — never passed silently, never run half-way.
Before({ name: 'skip what this target cannot run' }, async function (this: PoolWorld, { pickle }) {
  const reason = unmetNeeds(pickle.tags.map((tag) => tag.name), this.system);
  if (!reason) return undefined;
  process.stderr.write(`\nskipped "${pickle.name}": ${reason}\n`);
  await this.attach(reason, { mediaType: 'text/plain', fileName: 'why-skipped.txt' });
  return 'skipped';
});

Before({ name: 'start from the start-up settings with drained pools', timeout: STEP.default }, async function (this: PoolWorld) {
  await prepare(this);
});

BeforeStep(function (this: PoolWorld, { pickleStep }) {
  this.currentStep = pickleStep;
});

// Each step says which evidence it used: the notes its reads left, attached to it.
AfterStep(async function (this: PoolWorld) {
  await attachStepEvidence(this);
});

// Waits for every request, audits for leaks, and fails the scenario listing every check not met. A
// scenario with a check this target could not judge (and none failed) ends skipped, not passed.
After({ name: 'wait for every request, attach the timeline, audit for leaks, list the checks not met', timeout: STEP.finishScenario }, async function (this: PoolWorld) {
  await finish(this);
  return this.journal.anyNotJudged ? 'skipped' : undefined;
});
