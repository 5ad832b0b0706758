import { Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import {
  answersWith,
  expectCountedRefusals,
  expectGrantsInArrivalOrder,
  expectHoldersSucceeded,
  expectOneProblemFormat,
  expectQueue,
  expectQueueLengthFollowed,
  expectRefusalSplit,
  expectSameAnswers,
  expectSucceededAgain,
  expectWaitTimes,
  expectAllTimedOutAtPoolTimeout,
} from '../support/expectations/queue';
import type { ServiceName } from '../support/system-under-test';
import { describeEvidence } from '../support/monitoring/pool-timeline';
import { accountForEveryRequest, waitsSinceStart } from '../support/tasks/service-counts';
import { answersOf, burstsOf, repeatBurst, sendBurst } from '../support/tasks/bursts';
import { queueOneAfterAnother, startQuickRequests } from '../support/tasks/requests';
import { AT_ONCE_MS, AT_POOL_TIMEOUT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

When('{int} quick operations need a {service} connection while the pool is exhausted', function (this: PoolWorld, count: number, service: ServiceName) {
  startQuickRequests(this, service, count, 'quick');
});

When('{int} quick operations queue for a {service} connection one after another', async function (this: PoolWorld, count: number, service: ServiceName) {
  await queueOneAfterAnother(this, service, count, 'queued');
});

When('{int} requests that need the database arrive at once', async function (this: PoolWorld, count: number) {
  await sendBurst(this, 'backend', count, { holders: 'holder', requests: 'request' });
});

When('{int} operations again hold a {service} connection for {duration} and {int} requests arrive at once', async function (this: PoolWorld, holders: number, service: ServiceName, hold: Duration, count: number) {
  await repeatBurst(this, service, holders, hold, count);
});

When('the blocking operations have finished', async function (this: PoolWorld) {
  await this.operations.settled('holder');
});

// In every channel the service reports through (our services: the JSON snapshot and Prometheus), or
// from the best evidence the target gives when it reports nothing itself.
Then('{int} operations hold {service} connections and {int} requests wait in the queue', async function (this: PoolWorld, active: number, service: ServiceName, waiting: number) {
  // Checked well before the pool timeout ends the waits.
  const within = this.shapeOf(service).poolTimeout.ms * 0.6;
  const channels = await eventually(async () => {
    const own = await this.target(service).ownReports();
    const readings = own.length > 0 ? own : [await this.pool(service)];
    for (const reading of readings) expectQueue(reading, active, waiting);
    return readings.map((reading) => describeEvidence(reading.evidence));
  }, { within });
  this.attach(`evidence: ${channels.join(' and ')}`);
});

Then('the {int} waiting requests are refused with 503 at the {duration} pool timeout, not earlier and at most {duration} later', async function (this: PoolWorld, count: number, timeout: Duration, late: Duration) {
  const refused = expectCountedRefusals(await this.operations.settled(), count);
  const measured = expectAllTimedOutAtPoolTimeout(refused, timeout, { earlyMs: AT_POOL_TIMEOUT.earlyMs, lateMs: late.ms });
  this.attach(`timed out after ${(measured.minMs / 1000).toFixed(3)}–${(measured.maxMs / 1000).toFixed(3)} s (pool timeout ${timeout})`);
});

// Every series of it the service reports (our services: the JSON snapshot and Prometheus), sample by sample.
Then('the {service} queue length metric followed the number of waiting requests over time', async function (this: PoolWorld, service: ServiceName) {
  const timeline = this.sampled(service);
  const waiters = await answersWith(this.operations, 503);
  for (const [channel, series] of Object.entries(timeline.ownSeries(service, 'waiting', 'the number of waiting requests over time, as the service reports it'))) {
    const followed = expectQueueLengthFollowed(series, timeline.startedAt, `${service} ${channel}`, waiters);
    this.attach(`${channel}: waiting count checked in ${followed.samples} samples; peak ${followed.peak}; ${followed.plateau} samples at the full queue`);
  }
});

Then("the {service}'s own wait times show the {int} waits that reached the pool timeout and none longer", async function (this: PoolWorld, service: ServiceName, timedOut: number) {
  await this.operations.settled();
  const figures = expectWaitTimes(await waitsSinceStart(this, service), timedOut, this.shapeOf(service).poolTimeout, AT_POOL_TIMEOUT);
  this.attach(JSON.stringify(figures), 'application/json');
});

Then('the {int} operations holding connections succeed', async function (this: PoolWorld, count: number) {
  expectHoldersSucceeded(await this.operations.settled('holder'), count);
});

Then('the {service} served the queued operations in the order they arrived, each before the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const grants = expectGrantsInArrivalOrder(await this.operations.settled('queued'), this.shapeOf(service).poolTimeout);
  this.attach(JSON.stringify(grants), 'application/json');
});

Then('every request is accounted for: {int} succeeded, {int} refused with 429, {int} refused with 503 and none unexplained', async function (this: PoolWorld, succeeded: number, queueFull: number, timedOut: number) {
  await accountForEveryRequest(this, { succeeded, queueFull, timedOut });
});

Then('every request is accounted for, none unexplained', async function (this: PoolWorld) {
  await accountForEveryRequest(this);
});

Then('{int} of them are refused at once with 429 and {int} with 503 at the pool timeout, each with a Retry-After hint', async function (this: PoolWorld, queueFull: number, timedOut: number) {
  const times = expectRefusalSplit(await this.operations.settled('request'), queueFull, timedOut, this.shapeOf('backend'), { ...AT_POOL_TIMEOUT, atOnceMs: AT_ONCE_MS });
  this.attach(`refused after (ms): ${JSON.stringify(times)}`);
});

Then('every refusal uses the same problem format with a client-friendly message', async function (this: PoolWorld) {
  await expectOneProblemFormat(this.operations);
});

Then('the {service} answers them as it did the first time, with the same places in the queue', async function (this: PoolWorld, service: ServiceName) {
  const [before, now] = [await answersOf(this, burstsOf(this)[0]!), await answersOf(this, burstsOf(this).at(-1)!)];
  // Each refusal by the same standard as the first time (at once; at the pool timeout), then the same answers.
  const refused = (status: number) => before.requests.filter((o) => o.status === status).length;
  const times = expectRefusalSplit([...now.requests], refused(429), refused(503), this.shapeOf(service), { ...AT_POOL_TIMEOUT, atOnceMs: AT_ONCE_MS });
  expectSameAnswers(service, before, now);
  this.attach(`the same answers and places (${JSON.stringify(now.places)}); refused again after (ms): ${JSON.stringify(times)}`);
});

Then('the same {int} requests succeed again', async function (this: PoolWorld, count: number) {
  startQuickRequests(this, 'backend', count, 'again');
  expectSucceededAgain(await this.operations.settled('again'), count);
});
