import { Given, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { WAIT } from '../support/eventually';
import { expectHealth } from '../support/expectations/health';
import { expectNormalSpeed, expectOwnRolesWithinLimits, expectPoolUntouched } from '../support/expectations/isolation';
import { connectWebSocket, isolationOf, signInRounds } from '../support/expectations/isolation-scenario';
import type { PoolWorld } from '../support/world';

Given('the normal speed of {int} auth sign-ins \\(login and token check) has been measured', async function (this: PoolWorld, count: number) {
  const scenario = isolationOf(this);
  // Normal means healthy: pressure left by an earlier scenario must age out of the health window first.
  await expectHealth(this.client('auth'), ['healthy'], WAIT.settle);
  scenario.authBefore = await this.client('auth').poolSnapshot();
  scenario.baseline = await signInRounds(this, count, 'baseline');
});

Then('{int} auth sign-ins succeed at the 95th percentile within {int} times their normal time, or {int} ms more', async function (this: PoolWorld, count: number, factor: number, slackMs: number) {
  const scenario = isolationOf(this);
  scenario.duringExhaustion = await signInRounds(this, count, 'during exhaustion');
  const comparisons = expectNormalSpeed(scenario.baseline, scenario.duringExhaustion, factor, slackMs);
  await this.attach(JSON.stringify(comparisons, null, 1), { mediaType: 'application/json', fileName: 'auth-latency.json' });
});

Then('a WebSocket client can still sign in to the backend, and its pings are answered', async function (this: PoolWorld) {
  const pingMs = await connectWebSocket(this);
  expect(pingMs, 'a pong within 5 s').to.not.equal(undefined);
  this.attach(`WebSocket ping answered in ${pingMs!.toFixed(1)} ms`);
});

Then('the auth pool saw no timeout, refusal or error, and its health stayed healthy', async function (this: PoolWorld) {
  expectPoolUntouched(isolationOf(this).authBefore!, await this.client('auth').poolSnapshot());
});

Then('the backend and auth each connect as their own database role, within its connection limit', async function (this: PoolWorld) {
  const usage = await expectOwnRolesWithinLimits(this.requireAudit(), ['backend', 'auth']);
  await this.attach(JSON.stringify(usage, null, 1), { mediaType: 'application/json', fileName: 'roles.json' });
});
