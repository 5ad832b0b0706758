import { Given, Then, When } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectNoLeak } from '../support/expectations/audit';
import { expectEnoughAnsweredWhileDown, expectNoHealthyRefusals, expectRefusedWhileDown, expectServicesRecovered } from '../support/expectations/database-outage';
import { expectHealth } from '../support/expectations/health';
import { expectExitedCleanly, expectRefusedForMissingDatabase, expectRunning } from '../support/expectations/new-instance';
import { expectSucceeded } from '../support/expectations/recovery';
import { auditConnections } from '../support/tasks/connection-audit';
import { answersWhileDown, outageOf, startDatabaseAgain, stopDatabase, watchRecoveryAfterOutage } from '../support/tasks/database-outage';
import { untilHealth } from '../support/tasks/health';
import { newInstanceOf, startNewInstance, stopNewInstance, untilInstanceHealthy } from '../support/tasks/new-instance';
import type { ServiceName } from '../support/system-under-test';
import { OUTAGE_RECOVERY_LIMIT_MS, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

When('PostgreSQL stops while quick requests keep coming to every service', async function (this: PoolWorld) {
  this.attach(`PostgreSQL stopped in ${(await stopDatabase(this, { underLoad: true })).stopMs} ms`);
});

Given('PostgreSQL is down', async function (this: PoolWorld) {
  await stopDatabase(this, { underLoad: false });
});

Then('every service reports critical health while it is down', async function (this: PoolWorld) {
  for (const service of this.services) expectHealth(service, await untilHealth(this, service, ['critical'], WAIT.settle), ['critical']);
});

Then('every request sent while it is down is refused at once with backpressure and a Retry-After hint', async function (this: PoolWorld) {
  const { whileDown } = outageOf(this);
  for (const service of this.services) whileDown[service] = expectRefusedWhileDown(await eventually(() => expectEnoughAnsweredWhileDown(service, answersWhileDown(this, service)), { within: WAIT.settle }), this.target(service));
  this.attach(`answers while down, by service and status: ${JSON.stringify(whileDown)}`);
});

When('PostgreSQL starts again on the same data', async function (this: PoolWorld) {
  await startDatabaseAgain(this);
  this.attach(`PostgreSQL started again in ${outageOf(this).startMs} ms`);
});

Then('every service serves again and is healthy by itself within {int} seconds', { timeout: OUTAGE_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, seconds: number) {
  const figures = await watchRecoveryAfterOutage(this, seconds * 1000);
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'database-restart-recovery.json' });
  expectServicesRecovered(figures, this.services, seconds * 1000);
});

Then('no service said it was healthy while it still refused work', function (this: PoolWorld) {
  expectNoHealthyRefusals(outageOf(this), this.services);
});

Then('the test user still signs in with the same password', async function (this: PoolWorld) {
  await this.target('auth').token();
});

When('a new {service} instance starts', async function (this: PoolWorld, service: ServiceName) {
  this.attach(`the new ${service} instance answered its ready check after ${(await startNewInstance(this, service)).startedInMs} ms`);
});

Then('the new instance is up, reports critical health and refuses a database operation with backpressure and a Retry-After hint', async function (this: PoolWorld) {
  const { service, instance } = newInstanceOf(this);
  expectRunning(newInstanceOf(this));
  await eventually(async () => expectHealth(service, await instance.health(), ['critical']), { within: WAIT.shortly });
  expectRefusedForMissingDatabase(await instance.sendRequest(), this.target(service).refusals, this.settingsOf(service));
});

Then('the new instance becomes healthy by itself within {int} seconds and serves a database operation', { timeout: OUTAGE_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, seconds: number) {
  const { health, healthyAfterMs, served } = await untilInstanceHealthy(this, seconds * 1000);
  expectHealth(newInstanceOf(this).service, health, ['healthy']);
  expectSucceeded(served!, 'a database operation on the new instance', (o) => this.target(newInstanceOf(this).service).succeeded(o));
  expectRunning(newInstanceOf(this));
  this.attach(`healthy ${healthyAfterMs} ms after PostgreSQL was back`);
});

Then('the new instance shuts down cleanly and leaves no connection behind', async function (this: PoolWorld) {
  const record = await stopNewInstance(this);
  expectExitedCleanly(record);
  await eventually(async () => expectNoLeak(await auditConnections(this.target(record.service), this.requireAudit())), { within: WAIT.settle, every: 200 });
});
