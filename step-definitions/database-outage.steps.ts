import { Given, Then, When } from '@cucumber/cucumber';
import { AuthClient } from '../support/clients/auth-client';
import { eventually } from '../support/eventually';
import { expectNoLeak } from '../support/expectations/audit';
import { expectEnoughAnsweredWhileDown, expectNoHealthyRefusals, expectRefusedWhileDown, expectServicesRecovered } from '../support/expectations/database-outage';
import { expectHealth } from '../support/expectations/health';
import { expectExitedCleanly, expectRefusedForMissingDatabase, expectRunning } from '../support/expectations/new-instance';
import { expectSucceeded } from '../support/expectations/recovery';
import type { ServiceName } from '../support/system-under-test';
import { auditConnections } from '../support/tasks/connection-audit';
import { answersWhileDown, outageOf, startDatabaseAgain, stopDatabase, watchRecoveryAfterOutage } from '../support/tasks/database-outage';
import { newInstanceOf, startNewInstance, stopNewInstance } from '../support/tasks/new-instance';
import { OUTAGE_RECOVERY_LIMIT_MS, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

When('PostgreSQL stops while quick requests keep coming to every service', async function (this: PoolWorld) {
  const { stopMs } = await stopDatabase(this, { underLoad: true });
  this.attach(`PostgreSQL stopped in ${stopMs} ms`);
});

Given('PostgreSQL is down', async function (this: PoolWorld) {
  await stopDatabase(this, { underLoad: false });
});

Then('every service reports critical health while it is down', async function (this: PoolWorld) {
  for (const service of this.services) await eventually(async () => expectHealth(service, await this.health(service), ['critical']), { within: WAIT.settle });
});

Then('every request sent while it is down is refused at once with 503 and a Retry-After hint', async function (this: PoolWorld) {
  const { whileDown } = outageOf(this);
  for (const service of this.services) {
    const answers = await eventually(() => expectEnoughAnsweredWhileDown(service, answersWhileDown(this, service)), { within: WAIT.settle });
    whileDown[service] = expectRefusedWhileDown(service, answers);
  }
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
  await new AuthClient(this.testApi('auth')).token();
});

When('a new {service} instance starts', async function (this: PoolWorld, service: ServiceName) {
  const { startedInMs } = await startNewInstance(this, service);
  this.attach(`the new ${service} instance announced its URL after ${startedInMs} ms`);
});

Then('the new instance is up, reports critical health and refuses a database operation with 503 and a Retry-After hint', async function (this: PoolWorld) {
  const instance = newInstanceOf(this);
  expectRunning(instance);
  await eventually(async () => expectHealth(instance.client.service, await instance.target.health(), ['critical']), { within: WAIT.shortly });
  expectRefusedForMissingDatabase(await instance.client.work('fast'));
});

Then('the new instance becomes healthy by itself within {int} seconds and serves a database operation', { timeout: OUTAGE_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, seconds: number) {
  const instance = newInstanceOf(this);
  const started = Date.now();
  await eventually(async () => expectHealth(instance.client.service, await instance.target.health(), ['healthy']), { within: seconds * 1000 });
  this.attach(`healthy ${Date.now() - started} ms after PostgreSQL was back`);
  await eventually(async () => expectSucceeded(await instance.client.work('fast'), 'a database operation on the new instance'), { within: seconds * 1000, every: 250 });
  expectRunning(instance);
});

Then('the new instance shuts down cleanly and leaves no connection behind', async function (this: PoolWorld) {
  const instance = await stopNewInstance(this);
  expectExitedCleanly(instance);
  const service = instance.client.service as ServiceName;
  await eventually(async () => expectNoLeak(await auditConnections(this.target(service), this.requireAudit())), { within: WAIT.settle, every: 200 });
});
