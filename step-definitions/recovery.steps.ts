import { Given, Then, When } from '@cucumber/cucumber';
import type { BreakerState } from '../support/clients/contract';
import type { Duration } from '../support/duration';
import { expectRefusedWithin } from '../support/expectations/backpressure';
import {
  expectAllAnsweredWithoutError,
  expectBreakerState,
  expectBreakerWent,
  expectHealedWithinLimit,
  expectPoolNormal,
  expectRecoveryCounted,
  expectRefusedWithRetryAfter,
  expectResetTookBack,
  expectStrategiesInOrder,
  expectSucceeded,
  strategyNames,
} from '../support/expectations/recovery';
import { expectTimedOutAtPoolTimeout } from '../support/expectations/backpressure';
import type { ServiceName } from '../support/system-under-test';
import { holdConnections, startHungStatements } from '../support/tasks/hold-connections';
import { leakConnections } from '../support/tasks/leak-connections';
import { configureRecovery, finishedRecoveryPass, healedTimes, recoveringService, recoveryOf, resetPool, untilBreakerMayProbe, untilPoolNormal } from '../support/tasks/recovery';
import { queueRequests, trackedRequest } from '../support/tasks/requests';
import { AT_POOL_TIMEOUT, HUNG_STATEMENT, STEP, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('the {service} recovers on its own once it has been stuck for {duration}, cancelling statements that run longer than {duration}', async function (this: PoolWorld, service: ServiceName, recoverAfter: Duration, longStatementLimit: Duration) {
  await configureRecovery(this, service, { recoverAfter, longStatementLimit });
});

Given('the {service} does not recover on its own', async function (this: PoolWorld, service: ServiceName) {
  await configureRecovery(this, service, { recoverAfter: HUNG_STATEMENT.times(30) });
});

Given('the {service} circuit breaker opens after {int} consecutive timeouts and probes again after {duration}', async function (this: PoolWorld, service: ServiceName, breakerFailures: number, breakerHalfOpenAfter: Duration) {
  await configureRecovery(this, service, { breakerFailures, breakerHalfOpenAfter, recoverAfter: HUNG_STATEMENT.times(30) });
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
  await this.attach(JSON.stringify(await resetPool(this, service), null, 1), { mediaType: 'application/json', fileName: 'emergency-reset.json' });
});

// Healthy again by the service's own health history where it keeps one, else by its health check; no sooner than it waits before recovering, where the suite set that.
Then('the {service} heals itself within {duration}, and the recovery time is reported', { timeout: STEP.load }, async function (this: PoolWorld, service: ServiceName, limit: Duration) {
  const healed = await healedTimes(this, service, limit);
  const figures = expectHealedWithinLimit(healed.criticalAt, healed.healthyAt, healed.earliestMs, limit.ms, healed.evidence);
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'recovery-time.json' });
});

Then('the recovery strategies ran in priority order: {}', async function (this: PoolWorld, strategies: string) {
  const service = recoveringService(this);
  expectStrategiesInOrder(await finishedRecoveryPass(this, service, recoveryOf(this).since), recoveryOf(this).since, strategyNames(strategies));
});

Then('every request was answered, with success or backpressure and a Retry-After hint', async function (this: PoolWorld) {
  const byService = (o: import('../support/clients/outcome').Outcome) => this.services.some((s) => this.target(s).succeeded(o));
  this.attach(`answers by status: ${JSON.stringify(expectAllAnsweredWithoutError(await this.operations.settled(), byService))}`);
});

Then('the {service} pool metrics are back to normal', async function (this: PoolWorld, service: ServiceName) {
  this.attach(`evidence: ${expectPoolNormal(await untilPoolNormal(this, service, WAIT.settle))}`);
});

Then('the {service} counted its recovery', async function (this: PoolWorld, service: ServiceName) {
  const { since, before } = recoveryOf(this);
  const report = await finishedRecoveryPass(this, service, since);
  this.attach(`recovery counted: ${JSON.stringify(expectRecoveryCounted(before ? [before] : [], await this.target(service).ownReports(), report, since))}`);
});

Then('a normal {service} operation succeeds', async function (this: PoolWorld, service: ServiceName) {
  expectSucceeded(await trackedRequest(this, service, 'after recovery'), `a normal ${service} operation`, (o) => this.target(service).succeeded(o));
});

Then('the reset refused the {int} waiting requests and took back {int} connections', async function (this: PoolWorld, waiting: number, taken: number) {
  const service = recoveringService(this);
  expectResetTookBack(await this.ability(service, 'recoveryReport')(), waiting, taken, await this.operations.settled('waiting'));
});

When('{int} requests in a row time out waiting for a {service} connection', { timeout: STEP.long }, async function (this: PoolWorld, count: number, service: ServiceName) {
  const target = this.target(service);
  for (let i = 0; i < count; i++) expectTimedOutAtPoolTimeout(await trackedRequest(this, service, 'timing out'), target.refusals, target.settings, AT_POOL_TIMEOUT);
});

Then('the {service} circuit breaker is {word}( again)', async function (this: PoolWorld, service: ServiceName, state: string) {
  expectBreakerState(service, await this.ability(service, 'recoveryReport')(), state as BreakerState);
});

// "Far less": a quarter of the pool timeout.
Then('the next {service} request is refused with backpressure and a Retry-After hint in far less than the pool timeout', async function (this: PoolWorld, service: ServiceName) {
  const outcome = await trackedRequest(this, service, 'refused by the breaker');
  expectRefusedWithRetryAfter(outcome, 'a request while the breaker is open');
  expectRefusedWithin(outcome, 0, this.settingsOf(service).poolTimeout.ms / 4);
});

When('the {service} breaker lets a probe through while the connection is still held', async function (this: PoolWorld, service: ServiceName) {
  await untilBreakerMayProbe(this, service, this.operations.labelled('refused by the breaker').at(-1)?.outcome?.finishedAt ?? Date.now());
  expectRefusedWithRetryAfter(await trackedRequest(this, service, 'failing probe'), 'the probe while the connection is held');
});

When('the operation holding the connection has finished', async function (this: PoolWorld) {
  await this.operations.settled('holder');
});

Then('the next {service} probe succeeds and the circuit breaker closes', async function (this: PoolWorld, service: ServiceName) {
  await untilBreakerMayProbe(this, service, this.operations.labelled('failing probe').at(-1)?.outcome?.finishedAt ?? Date.now());
  expectSucceeded(await trackedRequest(this, service, 'succeeding probe'), 'the probe once the connection is free', (o) => this.target(service).succeeded(o));
  expectBreakerState(service, await this.ability(service, 'recoveryReport')(), 'closed');
});

Then('the {service} circuit breaker went {}', async function (this: PoolWorld, service: ServiceName, states: string) {
  const expected = states.split(/, | and then /).map((s) => s.trim()) as BreakerState[];
  expectBreakerWent(service, await this.ability(service, 'recoveryReport')(), recoveryOf(this).since, expected);
});
