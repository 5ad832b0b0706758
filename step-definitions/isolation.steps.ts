import { Given, Then } from '@cucumber/cucumber';
import { expectExhaustedThroughout, expectNormalSpeed, expectOwnRolesWithinLimits, expectPoolUntouched } from '../support/expectations/isolation';
import { expectOpenAndAnswered } from '../support/expectations/websocket';
import { capacityOf } from '../support/pool-shape';
import { backendDuringSignIns, measureNormalSpeed, signInsDuringExhaustion, signInsOf } from '../support/tasks/sign-in';
import { openAnotherSignedInWebSocket } from '../support/tasks/websocket-sessions';
import { describeEvidence } from '../support/targets/evidence';
import { FRESH_PING_WITHIN_MS } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('the normal speed of {int} auth sign-ins \\(login and token check) has been measured', async function (this: PoolWorld, count: number) {
  await measureNormalSpeed(this, count);
});

Then('{int} auth sign-ins succeed, at the 95th percentile within {int} times their normal time on an equally busy machine', async function (this: PoolWorld, count: number, factor: number) {
  const measures = await signInsDuringExhaustion(this, count);
  const comparisons = expectNormalSpeed(measures.baseline, measures.duringExhaustion, factor);
  await this.attach(JSON.stringify(comparisons, null, 1), { mediaType: 'application/json', fileName: 'auth-latency.json' });
});

Then('the backend pool was still exhausted when those sign-ins ended', async function (this: PoolWorld) {
  const { readings, window } = backendDuringSignIns(this, this.sampled('backend'));
  const judged = expectExhaustedThroughout(readings, capacityOf(this.settingsOf('backend')), window);
  this.attach(`exhausted in all ${judged.readings} readings of the backend pool while the sign-ins ran, the last ${judged.lastAtMs} ms after they ended`);
});

Then('a new WebSocket client can still sign in to the backend, and its pings are answered', async function (this: PoolWorld) {
  const socket = await openAnotherSignedInWebSocket(this);
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
  const usage = expectOwnRolesWithinLimits(Object.fromEntries(await Promise.all(this.services.map(async (service) => [service, await audit.rolesOf(this.target(service).applicationName)] as const))));
  await this.attach(JSON.stringify(usage, null, 1), { mediaType: 'application/json', fileName: 'roles.json' });
});
