import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { expectActiveReturnedToBaseline, expectLeakReported, expectLeakTakenBack, expectLifecycleCounted, expectNoDrift, expectOperationOutcomes, expectServerConnectionGone } from '../support/expectations/leak';
import { changeLeakDetection, configureLeakDetection, forceGarbageCollection, lastLeak, leakConnection } from '../support/load/leaks';
import { runOperationRound } from '../support/load/workload';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} treats a connection held longer than {duration} as leaked, reporting it without reclaiming it', async function (this: PoolWorld, service: ServiceName, thresholdMs: number) {
  await configureLeakDetection(this, service, { thresholdSeconds: thresholdMs / 1000, reclaim: false, traceCheckouts: true });
});

When('{int} operations run against the {service}, {int} of them failing inside the database', async function (this: PoolWorld, count: number, service: ServiceName, failing: number) {
  await runOperationRound(this, service, count, failing);
});

When('{int} rounds of {int} operations run against the {service}, {int} of them failing each time', { timeout: 300_000 }, async function (this: PoolWorld, rounds: number, count: number, service: ServiceName, failing: number) {
  for (let round = 0; round < rounds; round++) await runOperationRound(this, service, count, failing);
});

When('a {service} request keeps its connection and never gives it back', async function (this: PoolWorld, service: ServiceName) {
  await leakConnection(this, service, 'held');
});

When('a {service} request drops its connection without giving it back', async function (this: PoolWorld, service: ServiceName) {
  await leakConnection(this, service, 'dropped');
});

When('the {service} collects its garbage', async function (this: PoolWorld, service: ServiceName) {
  await forceGarbageCollection(this.client(service));
});

When('the {service} is told to reclaim leaked connections', async function (this: PoolWorld, service: ServiceName) {
  await changeLeakDetection(this, service, { reclaim: true });
});

Then('{int} operations succeeded and {int} failed with a database error', function (this: PoolWorld, succeeded: number, failed: number) {
  expectOperationOutcomes(this.operations, succeeded, failed);
});

Then('the {service} active connection count peaked at {int} and returned to its baseline', async function (this: PoolWorld, service: ServiceName, peak: number) {
  expect(this.timeline, 'the pool timeline sampler').to.not.equal(undefined);
  await expectActiveReturnedToBaseline(this.timeline!, service, this.evidence.rounds.at(-1)!, peak);
});

Then('the {service} pool counted {int} connections acquired and {int} released', function (this: PoolWorld, _service: ServiceName, acquired: number, released: number) {
  expectLifecycleCounted(this.evidence.rounds.at(-1)!, acquired, released);
});

Then('after every round the {service} held no connection, kept the same number open, and the database agreed', function (this: PoolWorld, _service: ServiceName) {
  expectNoDrift(this.evidence.rounds);
});

Then('the {service} reports that connection as leaked, with its age and where it was taken', async function (this: PoolWorld, service: ServiceName) {
  const thresholdMs = (await this.client(service).poolSnapshot()).config.leakThresholdSeconds * 1000;
  await expectLeakReported(this.client(service), await lastLeak(this), thresholdMs, /fault-routes\.ts/);
});

Then('the {service} reports that connection as {word}', async function (this: PoolWorld, service: ServiceName, action: string) {
  expect(action, 'how a leak is taken back').to.be.oneOf(['reclaimed', 'collected']);
  await expectLeakTakenBack(this.client(service), await lastLeak(this), action as 'reclaimed' | 'collected');
});

Then('the database no longer has that server connection', async function (this: PoolWorld) {
  await expectServerConnectionGone(this.requireAudit(), await lastLeak(this));
});
