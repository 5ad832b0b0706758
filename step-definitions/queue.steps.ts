import { Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import {
  answersWith,
  expectAccounted,
  expectCountedRefusals,
  expectGrantsInArrivalOrder,
  expectHoldersSucceeded,
  expectOneProblemFormat,
  expectQueue,
  expectQueueLengthFollowed,
  expectRefusalSplit,
  expectSucceededAgain,
  expectTimedOutAtPoolTimeout,
} from '../support/expectations/queue';
import type { ServiceName } from '../support/system-under-test';
import { queueOneAfterAnother, startQuickRequests } from '../support/tasks/requests';
import type { PoolWorld } from '../support/world';

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
  const within = this.shapeOf(service).poolTimeout.ms * 0.6;
  await eventually(async () => expectQueue(await this.pool(service), active, waiting), { within });
});

Then('the {int} waiting requests are refused with 503 at the {duration} pool timeout, not earlier and at most {duration} later', async function (this: PoolWorld, count: number, timeout: Duration, late: Duration) {
  const refused = expectCountedRefusals(await this.operations.settled(), count);
  const measured = expectTimedOutAtPoolTimeout(refused, timeout, { earlyMs: 100, lateMs: late.ms });
  this.attach(`timed out after ${(measured.minMs / 1000).toFixed(3)}–${(measured.maxMs / 1000).toFixed(3)} s (pool timeout ${timeout})`);
});

Then('the {service} queue length metric followed the number of waiting requests over time', async function (this: PoolWorld, service: ServiceName) {
  const followed = expectQueueLengthFollowed(this.sampled(service), service, await answersWith(this.operations, 503));
  this.attach(`waiting count checked in ${followed.samples} samples; peak ${followed.peak}; ${followed.plateau} samples at the full queue`);
});

Then('the {int} operations holding connections succeed', async function (this: PoolWorld, count: number) {
  expectHoldersSucceeded(await this.operations.settled('holder'), count);
});

Then('the {service} served the queued operations in the order they arrived, each before the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const grants = expectGrantsInArrivalOrder(await this.operations.settled('queued'), this.shapeOf(service).poolTimeout);
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
  expectSucceededAgain(await this.operations.settled('again'), count);
});
