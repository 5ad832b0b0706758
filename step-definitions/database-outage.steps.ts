import { Given, Then, When } from '@cucumber/cucumber';
import {
  OUTAGE_RECOVERY_LIMIT_MS,
  expectCriticalWhileDown,
  expectNoHealthyRefusals,
  expectRefusedWhileDown,
  expectServicesRecovered,
  expectTestUserSignsIn,
  outageOf,
  startDatabaseAgain,
  stopDatabase,
} from '../support/expectations/database-outage';
import { expectNewInstanceLeavesNothing, expectNewInstanceServes, expectUpButRefusing, startNewInstance } from '../support/expectations/service-start-without-database';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

When('PostgreSQL stops while quick requests keep coming to every service', async function (this: PoolWorld) {
  const { stopMs } = await stopDatabase(this, { underLoad: true });
  this.attach(`PostgreSQL stopped in ${stopMs} ms`);
});

Given('PostgreSQL is down', async function (this: PoolWorld) {
  await stopDatabase(this, { underLoad: false });
});

Then('every service reports critical health while it is down', async function (this: PoolWorld) {
  await expectCriticalWhileDown(this);
});

Then('every request sent while it is down is refused at once with 503 and a Retry-After hint', async function (this: PoolWorld) {
  this.attach(`answers while down, by service and status: ${JSON.stringify(await expectRefusedWhileDown(this))}`);
});

When('PostgreSQL starts again on the same data', async function (this: PoolWorld) {
  await startDatabaseAgain(this);
  this.attach(`PostgreSQL started again in ${outageOf(this).startMs} ms`);
});

Then('every service serves again and is healthy by itself within {int} seconds', { timeout: OUTAGE_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, seconds: number) {
  const figures = await expectServicesRecovered(this, seconds * 1000);
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'database-restart-recovery.json' });
});

Then('no service said it was healthy while it still refused work', function (this: PoolWorld) {
  expectNoHealthyRefusals(this);
});

Then('the test user still signs in with the same password', async function (this: PoolWorld) {
  await expectTestUserSignsIn(this);
});

When('a new {service} instance starts', async function (this: PoolWorld, service: ServiceName) {
  const { startedInMs } = await startNewInstance(this, service);
  this.attach(`the new ${service} instance announced its URL after ${startedInMs} ms`);
});

Then('the new instance is up, reports critical health and refuses a database operation with 503 and a Retry-After hint', async function (this: PoolWorld) {
  await expectUpButRefusing(this);
});

Then('the new instance becomes healthy by itself within {int} seconds and serves a database operation', { timeout: OUTAGE_RECOVERY_LIMIT_MS + 30_000 }, async function (this: PoolWorld, seconds: number) {
  const healthyInMs = await expectNewInstanceServes(this, seconds * 1000);
  this.attach(`healthy ${healthyInMs} ms after PostgreSQL was back`);
});

Then('the new instance shuts down cleanly and leaves no connection behind', async function (this: PoolWorld) {
  await expectNewInstanceLeavesNothing(this);
});
