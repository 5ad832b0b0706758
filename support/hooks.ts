import { After, AfterAll, Before, BeforeAll, setDefaultTimeout } from '@cucumber/cucumber';
import { startSystem, stopSystem } from './system-under-test';
import type { PoolWorld } from './world';

// Steps that wait on the plan's operations (5 s holds, 30 s timeouts) set their own longer limits.
setDefaultTimeout(60_000);

BeforeAll({ timeout: 180_000 }, async function () {
  await startSystem();
});

AfterAll({ timeout: 60_000 }, async function () {
  await stopSystem();
});

Before({ timeout: 60_000 }, async function (this: PoolWorld) {
  await this.prepare();
});

// Waits for every request the scenario started, then audits for leaks: a leak fails the scenario.
After({ timeout: 180_000 }, async function (this: PoolWorld) {
  await this.finish();
});
