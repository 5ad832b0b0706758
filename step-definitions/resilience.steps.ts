import { Given, Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import { expectTimedOutAtPoolTimeout } from '../support/expectations/backpressure';
import { expectEveryConnectionIdleInPool, expectRefusalsBeyondRoom, expectSurvived, expectTerminatedAtLeast } from '../support/expectations/resilience';
import type { ServiceName } from '../support/system-under-test';
import { auditConnections } from '../support/tasks/connection-audit';
import { countKillAnswers, killOf, terminateConnectionsUnderLoad } from '../support/tasks/connection-kill';
import { fillServerConnectionSlots, limitRoleConnections, roomOf } from '../support/tasks/database-limits';
import { tryHoldingConnectionsOneByOne } from '../support/tasks/hold-connections';
import { slowDownConnecting, untilSlowConnectionsOpened } from '../support/tasks/slow-connect';
import { AT_POOL_TIMEOUT, KILL_RECOVERY_LIMIT_MS, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

When('the database terminates every {service} connection while quick requests keep coming', { timeout: KILL_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, service: ServiceName) {
  const figures = await terminateConnectionsUnderLoad(this, service);
  this.attach(`terminated ${figures.terminated} connections; serving again after ${figures.servingAgainMs} ms, ${figures.healthyAgainMs === null ? 'healthy only once the held leak is reclaimed' : `healthy after ${figures.healthyAgainMs} ms`}`);
});

Then('the {service} process survived and kept answering its health check', async function (this: PoolWorld, service: ServiceName) {
  expectSurvived(killOf(this), await this.health(service));
});

Then('at least {int} connections were terminated', function (this: PoolWorld, count: number) {
  expectTerminatedAtLeast(killOf(this), count);
});

Then('the time the backend took to recover from the kill is reported', async function (this: PoolWorld) {
  await this.attach(JSON.stringify(await countKillAnswers(this), null, 1), { mediaType: 'application/json', fileName: 'connection-kill-recovery.json' });
});

Given('the database lets the {service} role open only {int} connections', async function (this: PoolWorld, service: ServiceName, limit: number) {
  await limitRoleConnections(this, service, limit);
});

When('{int} operations, one after another, each try to hold a {service} connection for {duration}', async function (this: PoolWorld, count: number, service: ServiceName, hold: Duration) {
  await tryHoldingConnectionsOneByOne(this, service, count, hold);
});

Given('other clients hold all but {int} of the connections the database server allows', async function (this: PoolWorld, room: number) {
  await fillServerConnectionSlots(this, 'backend', room);
});

Then('the operations the role\'s/server\'s limit leaves room for succeeded, and the rest were refused with backpressure, a Retry-After hint and the database\'s reason', async function (this: PoolWorld) {
  this.attach(`room and holders by status: ${JSON.stringify(expectRefusalsBeyondRoom(roomOf(this), await this.operations.settled('holder'), this.target('backend')))}`);
});

Given('connecting to the database takes the {service} {duration}', async function (this: PoolWorld, service: ServiceName, delay: Duration) {
  await slowDownConnecting(this, service, delay);
});

Then('that request is refused with backpressure at the pool timeout, not earlier and at most {duration} later', async function (this: PoolWorld, late: Duration) {
  const outcome = await this.operations.latest('extra').result;
  expectTimedOutAtPoolTimeout(outcome, this.target('backend').refusals, this.settingsOf('backend'), { earlyMs: AT_POOL_TIMEOUT.earlyMs, lateMs: late.ms });
  this.attach(`refused after ${(outcome.ms / 1000).toFixed(3)} s (pool timeout ${this.settingsOf('backend').poolTimeout})`);
});

When('the slow connection has opened and connecting is fast again', async function (this: PoolWorld) {
  const slowed = await untilSlowConnectionsOpened(this);
  this.attach(`PostgreSQL logged ${slowed.opened} slowed connection(s) opening; connecting is fast again`);
});

Then('every open {service} connection is idle in the pool, and PostgreSQL counts the same', async function (this: PoolWorld, service: ServiceName) {
  const audit = this.requireAudit();
  const seen = await eventually(async () => expectEveryConnectionIdleInPool(await auditConnections(this.target(service), audit)), { within: WAIT.shortly, every: 200 });
  this.attach(`${service}: ${seen.idle} connections idle in the pool; PostgreSQL sees ${seen.total}, ${seen.busy} busy`);
});
