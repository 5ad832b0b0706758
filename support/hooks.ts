import { After, AfterAll, Before, BeforeAll, setDefaultTimeout } from '@cucumber/cucumber';
import { unmetNeeds } from './capabilities';
import { describeRun, writeAllureEnvironment } from './report/allure-environment';
import { startSystem, stopSystem } from './system-under-test';
import type { PoolWorld } from './world';

// Steps that wait on the plan's operations (5 s holds, 30 s timeouts) set their own longer limits.
setDefaultTimeout(60_000);

BeforeAll({ timeout: 180_000 }, async function () {
  const system = await startSystem();
  writeAllureEnvironment(await describeRun(system, String(this.parameters.profile ?? 'default')));
});

AfterAll({ timeout: 60_000 }, async function () {
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

Before({ name: 'start from the start-up pool limits with drained pools', timeout: 60_000 }, async function (this: PoolWorld) {
  await this.prepare();
});

// Waits for every request the scenario started, then audits for leaks: a leak fails the scenario.
After({ name: 'wait for every request, attach the timeline, audit for leaks', timeout: 180_000 }, async function (this: PoolWorld) {
  await this.finish();
});
