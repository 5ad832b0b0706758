import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { answersWith, expectAccounted, expectGrantsInArrivalOrder, expectOneProblemFormat, expectQueue, expectQueueLengthFollowed, expectRefusalSplit, expectTimedOutAtPoolTimeout } from '../support/expectations/queue';
import { queueOneAfterAnother, startQuickRequests } from '../support/load/queueing';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} pool has pool size {int}, max overflow {int} and a pool timeout of {duration}', async function (this: PoolWorld, service: ServiceName, poolSize: number, maxOverflow: number, timeoutMs: number) {
  await this.configurePool(service, { poolSize, maxOverflow, poolTimeoutSeconds: timeoutMs / 1000 });
});

Given('the {service} pool lets {int} requests wait', async function (this: PoolWorld, service: ServiceName, maxQueue: number) {
  await this.configurePool(service, { maxQueue });
});

When('{int} quick operations need a {service} connection while the pool is exhausted', function (this: PoolWorld, count: number, service: ServiceName) {
  startQuickRequests(this, service, count, 'quick');
});

When('{int} quick operations queue for a {service} connection one after another', async function (this: PoolWorld, count: number, service: ServiceName) {
  await queueOneAfterAnother(this, service, count, 'queued');
});

When('{int} requests that need the database arrive at once', function (this: PoolWorld, count: number) {
  startQuickRequests(this, 'backend', count, 'request');
});

When('the blocking operations have finished', async function (this: PoolWorld) {
  await this.operations.settled('holder');
});

Then('{int} operations hold {service} connections and {int} requests wait in the queue', async function (this: PoolWorld, active: number, service: ServiceName, waiting: number) {
  // Checked well before the pool timeout ends the waits.
  await expectQueue(this.client(service), active, waiting, this.limits[service]!.poolTimeoutSeconds * 1000 * 0.6);
});

Then('the {int} waiting requests are refused with 503 at the {duration} pool timeout, not earlier and at most {duration} later', async function (this: PoolWorld, count: number, timeoutMs: number, lateMs: number) {
  const refused = await answersWith(this.operations, 503);
  expect(refused.length, 'requests refused with 503').to.equal(count);
  const measured = expectTimedOutAtPoolTimeout(refused, timeoutMs / 1000, { earlyMs: 100, lateMs });
  this.attach(`timed out after ${(measured.minMs / 1000).toFixed(3)}–${(measured.maxMs / 1000).toFixed(3)} s (pool timeout ${timeoutMs / 1000} s)`);
});

Then('the {service} queue length metric followed the number of waiting requests over time', async function (this: PoolWorld, service: ServiceName) {
  const followed = expectQueueLengthFollowed(this.timeline!, service, await answersWith(this.operations, 503));
  this.attach(`waiting count checked in ${followed.samples} samples; peak ${followed.peak}; ${followed.plateau} samples at the full queue`);
});

Then('the {int} operations holding connections succeed', async function (this: PoolWorld, count: number) {
  const holders = await this.operations.settled('holder');
  expect(holders.filter((o) => o.status === 200).length, 'holding operations that succeeded').to.equal(count);
});

Then('the {service} served the queued operations in the order they arrived, each before the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const grants = expectGrantsInArrivalOrder(await this.operations.settled('queued'), this.limits[service]!.poolTimeoutSeconds);
  this.attach(JSON.stringify(grants), 'application/json');
});

Then('every request is accounted for: {int} succeeded, {int} refused with 429, {int} refused with 503 and none unexplained', async function (this: PoolWorld, succeeded: number, queueFull: number, timedOut: number) {
  await expectAccounted(this.operations, { succeeded, queueFull, timedOut });
});

Then('every request is accounted for, none unexplained', async function (this: PoolWorld) {
  await expectAccounted(this.operations);
});

Then('{int} of them are refused at once with 429 and {int} time out with 503, each with a Retry-After hint', async function (this: PoolWorld, queueFull: number, timedOut: number) {
  expectRefusalSplit(await this.operations.settled('request'), queueFull, timedOut);
});

Then('every refusal uses the same problem format with a client-friendly message', async function (this: PoolWorld) {
  await expectOneProblemFormat(this.operations);
});

Then('the same {int} requests succeed again', async function (this: PoolWorld, count: number) {
  startQuickRequests(this, 'backend', count, 'again');
  expect((await this.operations.settled('again')).map((o) => o.status), 'statuses after the blocking operations ended').to.deep.equal(Array(count).fill(200));
});
