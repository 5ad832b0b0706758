import { Given, Then, When } from '@cucumber/cucumber';
import type { BreakerState } from '../support/clients/contract';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import { expectRefusedWithin } from '../support/expectations/backpressure';
import {
  expectAllAnsweredWithoutError,
  expectBreakerState,
  expectBreakerWent,
  expectHealedWithinLimit,
  expectHealthy,
  expectMetricsNormalised,
  expectRefused,
  expectResetTookBack,
  expectStrategiesInOrder,
  expectSucceeded,
  strategyNames,
} from '../support/expectations/recovery';
import type { ServiceName } from '../support/system-under-test';
import { holdConnections, startHungStatements } from '../support/tasks/hold-connections';
import { leakConnections } from '../support/tasks/leak-connections';
import { configureRecovery, finishedRecoveryPass, recoveryOf, resetPool, untilBreakerMayProbe } from '../support/tasks/recovery';
import { queueRequests, trackedRequest } from '../support/tasks/requests';
import { HUNG_STATEMENT, STEP, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('the {service} recovers on its own once it has been stuck for {duration}, cancelling statements that run longer than {duration}', async function (this: PoolWorld, service: ServiceName, after: Duration, limit: Duration) {
  await configureRecovery(this, service, { recoverAfterSeconds: after.seconds, longStatementSeconds: limit.seconds });
});

Given('the {service} does not recover on its own', async function (this: PoolWorld, service: ServiceName) {
  await configureRecovery(this, service, { recoverAfterSeconds: 3600 });
});

Given('the {service} circuit breaker opens after {int} consecutive timeouts and probes again after {duration}', async function (this: PoolWorld, service: ServiceName, failures: number, halfOpen: Duration) {
  await configureRecovery(this, service, { breakerFailures: failures, breakerHalfOpenAfterSeconds: halfOpen.seconds, recoverAfterSeconds: 3600 });
});

When('{int} hung statements take every {service} connection', async function (this: PoolWorld, count: number, service: ServiceName) {
  await startHungStatements(this, service, count);
});

When('{int} leaked connections take every {service} connection', async function (this: PoolWorld, count: number, service: ServiceName) {
  await leakConnections(this, service, count);
});

When('{int} more requests wait for a {service} connection', async function (this: PoolWorld, count: number, service: ServiceName) {
  await queueRequests(this, service, count);
});

When('an operation holds the only {service} connection for {duration}', async function (this: PoolWorld, service: ServiceName, hold: Duration) {
  await holdConnections(this, service, 1, hold);
});

When('an operator resets the {service} pool', async function (this: PoolWorld, service: ServiceName) {
  const done = await resetPool(this.testApi(service));
  await this.attach(JSON.stringify(done, null, 1), { mediaType: 'application/json', fileName: 'emergency-reset.json' });
});

Then('the {service} heals itself within {duration}, and the recovery time is reported', { timeout: STEP.load }, async function (this: PoolWorld, service: ServiceName, limit: Duration) {
  // The limit must be one this step can wait for, and shorter than the hung statements (which would end by themselves).
  const longest = Math.min(STEP.load - WAIT.settle * 2, HUNG_STATEMENT.ms - WAIT.settle);
  if (limit.ms > longest) throw new Error(`a recovery limit of ${limit.seconds} s cannot be judged here: at most ${longest / 1000} s (the hung statements last ${HUNG_STATEMENT.seconds} s)`);
  const client = this.testApi(service);
  const { since, settings } = recoveryOf(this);
  if (!settings) throw new Error(`the scenario did not say when the ${service} recovers on its own`);
  const healthy = await eventually(async () => expectHealthy(await client.poolSnapshot()), { within: limit.ms, every: 200 });
  const figures = expectHealedWithinLimit(healthy, await finishedRecoveryPass(client, since), since, settings.recoverAfterSeconds * 1000, limit.ms);
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'recovery-time.json' });
  this.attach(`recovery time ${(figures.recoveryMs / 1000).toFixed(2)} s (allowed ${figures.earliestMs / 1000} s to ${figures.limitMs / 1000} s)`);
});

// The service whose recovery the scenario set.
Then('the recovery strategies ran in priority order: {}', async function (this: PoolWorld, strategies: string) {
  const { since, service } = recoveryOf(this);
  if (!service) throw new Error('the scenario did not set any service\'s recovery');
  expectStrategiesInOrder(await finishedRecoveryPass(this.testApi(service), since), since, strategyNames(strategies));
});

Then('every request was answered, with success or 503 and a Retry-After hint', async function (this: PoolWorld) {
  this.attach(`answers by status: ${JSON.stringify(expectAllAnsweredWithoutError(await this.operations.settled()))}`);
});

Then('the {service} pool metrics are back to normal, with the recovery counted', async function (this: PoolWorld, service: ServiceName) {
  const client = this.testApi(service);
  const { since, countersBefore = {} } = recoveryOf(this);
  const report = await finishedRecoveryPass(client, since);
  const counted = await eventually(async () => expectMetricsNormalised(await client.poolSnapshot(), await client.metricsText(), countersBefore, report, since), { within: WAIT.settle });
  this.attach(`recovery attempts ${counted.attempts}, successes ${counted.successes}`);
});

Then('a normal {service} operation succeeds', async function (this: PoolWorld, service: ServiceName) {
  expectSucceeded(await trackedRequest(this, service, 'after recovery'), `a normal ${service} operation`);
});

Then('the reset refused the {int} waiting requests and took back {int} connections', async function (this: PoolWorld, waiting: number, taken: number) {
  const { service } = recoveryOf(this);
  if (!service) throw new Error('the scenario did not set any service\'s recovery');
  expectResetTookBack(await this.testApi(service).recoveryReport(), waiting, taken, await this.operations.settled('waiting'));
});

When('{int} requests in a row time out waiting for a {service} connection', { timeout: STEP.long }, async function (this: PoolWorld, count: number, service: ServiceName) {
  for (let i = 0; i < count; i++) expectRefused(await trackedRequest(this, service, 'timing out'), '/problems/pool-timeout', `request ${i + 1} of ${count}`);
});

Then('the {service} circuit breaker is {word}', async function (this: PoolWorld, service: ServiceName, state: string) {
  expectBreakerState(service, await this.testApi(service).recoveryReport(), state as BreakerState);
});

Then('the next {service} request is refused with 503 and a Retry-After hint in far less than the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const outcome = await trackedRequest(this, service, 'refused by the breaker');
  expectRefused(outcome, '/problems/circuit-open', 'a request while the breaker is open');
  // "Far less": a quarter of the pool timeout.
  expectRefusedWithin(outcome, 0, this.shapeOf(service).poolTimeout.ms / 4);
});

When('the {service} breaker lets a probe through while the connection is still held', async function (this: PoolWorld, service: ServiceName) {
  await untilBreakerMayProbe(this.testApi(service));
  expectRefused(await trackedRequest(this, service, 'failing probe'), '/problems/pool-timeout', 'the probe while the connection is held');
});

When('the operation holding the connection has finished', async function (this: PoolWorld) {
  await this.operations.settled('holder');
});

Then('the next {service} probe succeeds and the circuit breaker closes', async function (this: PoolWorld, service: ServiceName) {
  const client = this.testApi(service);
  await untilBreakerMayProbe(client);
  expectSucceeded(await trackedRequest(this, service, 'succeeding probe'), 'the probe once the connection is free');
  expectBreakerState(service, await client.recoveryReport(), 'closed');
});

Then('the {service} circuit breaker went {}', async function (this: PoolWorld, service: ServiceName, states: string) {
  const expected = states.split(/, | and then /).map((s) => s.trim()) as BreakerState[];
  expectBreakerWent(service, await this.testApi(service).recoveryReport(), recoveryOf(this).since, expected);
});
