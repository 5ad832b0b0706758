import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import {
  RECOVERY_LIMIT_MS,
  expectAllAnsweredWithoutError,
  expectBreakerState,
  expectBreakerWent,
  expectHealedWithinLimit,
  expectMetricsNormalised,
  expectRefused,
  expectStrategiesInOrder,
  expectSucceeded,
  strategyNames,
} from '../support/expectations/recovery';
import { configureRecovery, leakConnections, queueRequests, recoveryOf, resetPool, startHungStatements, trackedRequest, untilBreakerMayProbe } from '../support/expectations/recovery-scenario';
import { holdConnections } from '../support/load/workload';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} recovers on its own once it has been stuck for {duration}, cancelling statements that run longer than {duration}', async function (this: PoolWorld, service: ServiceName, afterMs: number, limitMs: number) {
  await configureRecovery(this, service, { recoverAfterSeconds: afterMs / 1000, longStatementSeconds: limitMs / 1000 });
});

Given('the {service} does not recover on its own', async function (this: PoolWorld, service: ServiceName) {
  await configureRecovery(this, service, { recoverAfterSeconds: 3600 });
});

Given('the {service} circuit breaker opens after {int} consecutive timeouts and probes again after {duration}', async function (this: PoolWorld, service: ServiceName, failures: number, halfOpenMs: number) {
  await configureRecovery(this, service, { breakerFailures: failures, breakerHalfOpenAfterSeconds: halfOpenMs / 1000, recoverAfterSeconds: 3600 });
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

When('an operation holds the only {service} connection for {duration}', async function (this: PoolWorld, service: ServiceName, holdMs: number) {
  await holdConnections(this, service, 1, holdMs);
});

When('an operator resets the {service} pool', async function (this: PoolWorld, service: ServiceName) {
  const done = await resetPool(this.client(service));
  await this.attach(JSON.stringify(done, null, 1), { mediaType: 'application/json', fileName: 'emergency-reset.json' });
});

Then('the {service} heals itself within the plan\'s 60 seconds, and the recovery time is reported', { timeout: RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, service: ServiceName) {
  const figures = await expectHealedWithinLimit(this.client(service), recoveryOf(this).since);
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'recovery-time.json' });
  this.attach(`recovery time ${(figures.recoveryMs / 1000).toFixed(2)} s (limit ${figures.limitMs / 1000} s)`);
});

Then('the recovery strategies ran in priority order: {}', async function (this: PoolWorld, strategies: string) {
  await expectStrategiesInOrder(this.client('backend'), recoveryOf(this).since, strategyNames(strategies));
});

Then('every request was answered, with success or 503 and a Retry-After hint', async function (this: PoolWorld) {
  this.attach(`answers by status: ${JSON.stringify(await expectAllAnsweredWithoutError(this.operations))}`);
});

Then('the {service} pool metrics are back to normal, with the recovery counted', async function (this: PoolWorld, service: ServiceName) {
  const counted = await expectMetricsNormalised(this.client(service), recoveryOf(this).countersBefore ?? {});
  this.attach(`recovery attempts ${counted.attempts}, successes ${counted.successes}`);
});

Then('a normal {service} operation succeeds', async function (this: PoolWorld, service: ServiceName) {
  expectSucceeded(await trackedRequest(this, service, 'after recovery'), `a normal ${service} operation`);
});

Then('the reset refused the {int} waiting requests and took back {int} connections', async function (this: PoolWorld, waiting: number, taken: number) {
  const { lastReset } = await this.client('backend').recoveryReport();
  expect(lastReset, 'the reset record').to.not.equal(undefined);
  expect([lastReset!.rejectedWaiters, lastReset!.reclaimedCheckouts], 'requests refused, connections taken back').to.deep.equal([waiting, taken]);
  for (const outcome of await this.operations.settled('waiting')) expectRefused(outcome, '/problems/pool-reset', 'a request waiting at the reset');
});

When('{int} requests in a row time out waiting for a {service} connection', { timeout: 120_000 }, async function (this: PoolWorld, count: number, service: ServiceName) {
  for (let i = 0; i < count; i++) expectRefused(await trackedRequest(this, service, 'timing out'), '/problems/pool-timeout', `request ${i + 1} of ${count}`);
});

Then('the {service} circuit breaker is {word}', async function (this: PoolWorld, service: ServiceName, state: string) {
  await expectBreakerState(this.client(service), state as 'open' | 'closed');
});

Then('the next {service} request is refused with 503 and a Retry-After hint in far less than the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const outcome = await trackedRequest(this, service, 'refused by the breaker');
  expectRefused(outcome, '/problems/circuit-open', 'a request while the breaker is open');
  const poolTimeoutMs = this.limits[service]!.poolTimeoutSeconds * 1000;
  expect(outcome.ms, `answered in ms, against a quarter of the ${poolTimeoutMs} ms pool timeout`).to.be.below(poolTimeoutMs / 4);
});

When('the {service} breaker lets a probe through while the connection is still held', async function (this: PoolWorld, service: ServiceName) {
  await untilBreakerMayProbe(this.client(service), (await this.client(service).recoveryReport()).settings.breakerHalfOpenAfterSeconds * 1000);
  expectRefused(await trackedRequest(this, service, 'failing probe'), '/problems/pool-timeout', 'the probe while the connection is held');
});

When('the operation holding the connection has finished', async function (this: PoolWorld) {
  await this.operations.settled('holder');
});

Then('the next {service} probe succeeds and the circuit breaker closes', async function (this: PoolWorld, service: ServiceName) {
  await untilBreakerMayProbe(this.client(service), (await this.client(service).recoveryReport()).settings.breakerHalfOpenAfterSeconds * 1000);
  expectSucceeded(await trackedRequest(this, service, 'succeeding probe'), 'the probe once the connection is free');
  await expectBreakerState(this.client(service), 'closed');
});

Then('the {service} circuit breaker went {}', async function (this: PoolWorld, service: ServiceName, states: string) {
  await expectBreakerWent(this.client(service), recoveryOf(this).since, states.split(/, | and then /).map((s) => s.trim()) as Array<'open' | 'half-open' | 'closed'>);
});
