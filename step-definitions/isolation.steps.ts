import { Given, Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectHealth } from '../support/expectations/health';
import { expectNormalSpeed, expectOwnRolesWithinLimits, expectPoolUntouched } from '../support/expectations/isolation';
import { expectOpenAndAnswered } from '../support/expectations/websocket';
import { rememberAuthPool, signInRounds, signInsOf } from '../support/tasks/sign-in';
import { openSignedInWebSocket } from '../support/tasks/websocket-sessions';
import { describeEvidence } from '../support/monitoring/pool-timeline';
import { FRESH_PING_WITHIN_MS, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('the normal speed of {int} auth sign-ins \\(login and token check) has been measured', async function (this: PoolWorld, count: number) {
  // Normal means healthy: pressure left by an earlier scenario must age out of the health window first.
  await eventually(async () => expectHealth('auth', await this.health('auth'), ['healthy']), { within: WAIT.settle });
  await rememberAuthPool(this);
  signInsOf(this).baseline = await signInRounds(this, count, 'baseline');
});

Then('{int} auth sign-ins succeed at the 95th percentile within {int} times their normal time, or {int} ms more', async function (this: PoolWorld, count: number, factor: number, slackMs: number) {
  const measures = signInsOf(this);
  measures.duringExhaustion = await signInRounds(this, count, 'during exhaustion');
  const comparisons = expectNormalSpeed(measures.baseline, measures.duringExhaustion, factor, slackMs);
  await this.attach(JSON.stringify(comparisons, null, 1), { mediaType: 'application/json', fileName: 'auth-latency.json' });
});

Then('a WebSocket client can still sign in to the backend, and its pings are answered', async function (this: PoolWorld) {
  const socket = await openSignedInWebSocket(this);
  const pingMs = expectOpenAndAnswered(socket, await socket.ping(FRESH_PING_WITHIN_MS), FRESH_PING_WITHIN_MS);
  this.attach(`WebSocket ping answered in ${pingMs.toFixed(1)} ms`);
});

Then('the auth pool saw no timeout, refusal or error, and its health stayed healthy', async function (this: PoolWorld) {
  const { authBefore, since } = signInsOf(this);
  const samples = this.timeline!.liveness.samples.filter((s) => s.at >= since);
  const counted = expectPoolUntouched(authBefore!, await this.pool('auth'), samples);
  this.attach(`evidence: ${counted.join(', ')} from ${describeEvidence(authBefore!.evidence)}; health from ${samples.length} health checks sampled since the baseline`);
});

Then('the backend and auth each connect as their own database role, within its connection limit', async function (this: PoolWorld) {
  const audit = this.requireAudit();
  const usage = expectOwnRolesWithinLimits({ backend: await audit.rolesOf('backend'), auth: await audit.rolesOf('auth') });
  await this.attach(JSON.stringify(usage, null, 1), { mediaType: 'application/json', fileName: 'roles.json' });
});
