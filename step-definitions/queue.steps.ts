import { Given, Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { expectAccounted, refusalKindOf } from '../support/expectations/accounting';
import { expectOneFormat } from '../support/expectations/backpressure';
import {
  expectAllTimedOutAtPoolTimeout,
  expectCountedTimeouts,
  expectHoldersSucceeded,
  expectQueue,
  expectQueueLengthFollowed,
  answerKind,
  expectRefusalSplit,
  expectSameAnswers,
  expectServedInArrivalOrder,
  expectSucceededAgain,
  expectWaitTimes,
} from '../support/expectations/queue';
import { machinePace } from '../support/monitoring/machine-pace';
import type { ServiceName } from '../support/system-under-test';
import { answersOf, burstsOf, repeatBurst, sendBurst } from '../support/tasks/bursts';
import { holdStaggered, staggerOf } from '../support/tasks/hold-connections';
import { judgeReadings, queueOneAfterAnother, queuedHoldOf, startQuickRequests, startQuickRequestsSpread } from '../support/tasks/requests';
import { gatherAccounts, waitsSinceStart } from '../support/tasks/service-counts';
import { AT_ONCE_MS, AT_POOL_TIMEOUT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

When('{int} quick operations need a {service} connection while the pool is exhausted, arriving {duration} apart', async function (this: PoolWorld, count: number, service: ServiceName, gap: Duration) {
  await startQuickRequestsSpread(this, service, count, gap, 'quick');
});

Given('{int} operations hold a {service} connection, the first for {duration} and each next one {duration} longer', async function (this: PoolWorld, count: number, service: ServiceName, first: Duration, step: Duration) {
  await holdStaggered(this, service, count, first, step);
});

When('{int} more operations queue for a {service} connection one after another, each holding it for {duration} once served', async function (this: PoolWorld, count: number, service: ServiceName, hold: Duration) {
  await queueOneAfterAnother(this, service, count, 'queued', hold);
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

// In every channel the service reports through (ours: JSON and Prometheus), checked well before the pool timeout ends the waits.
Then('{int} operations hold {service} connections and {int} requests wait in the queue', async function (this: PoolWorld, active: number, service: ServiceName, waiting: number) {
  const channels = await judgeReadings(this, service, (reading) => expectQueue(reading, active, waiting), this.settingsOf(service).poolTimeout.ms * 0.6);
  this.attach(`evidence: ${channels.join(' and ')}`);
});

Then('the {int} waiting requests are refused with backpressure at the pool timeout, the last as promptly as the first', async function (this: PoolWorld, count: number) {
  const backend = this.target('backend');
  const refused = expectCountedTimeouts(await this.operations.settled(), count, backend);
  const figures = expectAllTimedOutAtPoolTimeout(refused, backend.refusals, backend.settings, AT_POOL_TIMEOUT, await machinePace());
  this.attach(`refused ${figures.latenessMs.join(', ')} ms past the ${backend.settings.poolTimeout} pool timeout (allowed spread ${figures.allowedSpreadMs} ms, machine pace ${figures.paceMs.toFixed(0)} ms)`);
});

// Every series of it the service reports (ours: JSON and Prometheus), sample by sample. The waiters
// are the requests that never got a connection, whatever they were answered: this check is about the
// metric, and a wrong refusal is the refusal check's finding.
Then('the {service} queue length metric followed the number of waiting requests over time', async function (this: PoolWorld, service: ServiceName) {
  const timeline = this.sampled(service);
  const waiters = (await this.operations.settled()).filter((o) => !this.target(service).succeeded(o));
  for (const [channel, series] of Object.entries(timeline.ownSeries(service, 'waiting', 'the number of waiting requests over time, as the service reports it'))) {
    this.attach(`${channel}: ${JSON.stringify(expectQueueLengthFollowed(series, timeline.startedAt, `${service} ${channel}`, waiters))}`);
  }
});

Then("the {service}'s own wait times show the {int} waits that reached the pool timeout and none longer", async function (this: PoolWorld, service: ServiceName, timedOut: number) {
  await this.operations.settled();
  this.attach(JSON.stringify(expectWaitTimes(await waitsSinceStart(this, service), timedOut, this.settingsOf(service).poolTimeout, AT_POOL_TIMEOUT)), 'application/json');
});

Then('the {int} operations holding connections succeed', async function (this: PoolWorld, count: number) {
  expectHoldersSucceeded(await this.operations.settled('holder'), count, (o) => this.target('backend').succeeded(o));
});

Then('the {service} served the queued operations in the order they arrived, each before the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const target = this.target(service);
  const order = expectServedInArrivalOrder(await this.operations.settled('queued'), queuedHoldOf(this), target.settings.poolTimeout, staggerOf(this).ms / 3, target.abilities.grantOrder);
  this.attach(JSON.stringify(order), 'application/json');
});

Then('every request is accounted for: {int} succeeded, {int} refused because the queue was full, {int} refused at the pool timeout, none unexplained', async function (this: PoolWorld, succeeded: number, queueFull: number, timedOut: number) {
  for (const line of expectAccounted(await gatherAccounts(this), (service) => this.target(service as ServiceName), { succeeded, queueFull, timedOut })) this.attach(line);
});

Then('every request is accounted for, none unexplained', async function (this: PoolWorld) {
  for (const line of expectAccounted(await gatherAccounts(this), (service) => this.target(service as ServiceName))) this.attach(line);
});

Then('{int} of them are refused at once because the queue is full and {int} at the pool timeout, each with backpressure and a Retry-After hint', async function (this: PoolWorld, queueFull: number, timedOut: number) {
  const kinds = [...Array<string>(queueFull).fill('queueFull'), ...Array<string>(timedOut).fill('timedOut')];
  const times = expectRefusalSplit(await this.operations.settled('request'), kinds, this.target('backend'), { ...AT_POOL_TIMEOUT, atOnceMs: AT_ONCE_MS });
  this.attach(`refused after (ms): ${JSON.stringify(times)}`);
});

Then('every refusal uses one consistent format with a client-friendly message', async function (this: PoolWorld) {
  const backend = this.target('backend');
  const refusals = (await this.operations.settled()).filter((o) => refusalKindOf(o, backend.refusals, backend.settings) !== undefined);
  this.attach(`one format: ${expectOneFormat(refusals, (o) => refusalKindOf(o, backend.refusals, backend.settings)!, backend.refusals, backend.settings)}`);
});

// The same kinds of answer as the first time (whatever they were: the first burst's own checks judged
// them), each refusal by the same standard (at once; at the pool timeout), then the same answers and places.
Then('the {service} answers them as it did the first time, with the same places in the queue', async function (this: PoolWorld, service: ServiceName) {
  const [before, now] = [await answersOf(this, burstsOf(this)[0]!), await answersOf(this, burstsOf(this).at(-1)!)];
  const times = expectRefusalSplit(now.requests, before.requests.map((o) => answerKind(o, this.target(service))), this.target(service), { ...AT_POOL_TIMEOUT, atOnceMs: AT_ONCE_MS });
  expectSameAnswers(service, before, now, this.target(service).refusals);
  this.attach(`the same answers and places (${JSON.stringify(now.places)}); refused again after (ms): ${JSON.stringify(times)}`);
});

Then('the same {int} requests succeed again', async function (this: PoolWorld, count: number) {
  startQuickRequests(this, 'backend', count, 'again');
  expectSucceededAgain(await this.operations.settled('again'), count, (o) => this.target('backend').succeeded(o));
});
