import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { AuthClient, type BadTokenKind } from '../support/clients/auth-client';
import { sessionsOf } from '../support/clients/sessions';
import { expectHttpUnauthorized } from '../support/expectations/auth';
import { expectErrorFrame, expectOpenAndAnswersPing, expectRefusedUnauthorized } from '../support/expectations/websocket';
import { startWebSocketRequest } from '../support/load/queueing';
import type { PoolWorld } from '../support/world';

Given('a WebSocket client signed in as the test user', async function (this: PoolWorld) {
  await sessionsOf(this).openWebSocket(await new AuthClient(this.client('auth')).token());
});

When('the WebSocket client asks for data from the database', function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
});

Then('it receives a {string} error frame with status {int} and a retry hint', async function (this: PoolWorld, code: string, status: number) {
  expectErrorFrame(await this.operations.latest('ws').result, code, status);
});

Then('its connection stays open and answers a ping', async function (this: PoolWorld) {
  await expectOpenAndAnswersPing(sessionsOf(this).webSocket);
});

Then("the WebSocket client's next request succeeds", async function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
  const outcome = await this.operations.latest('ws').result;
  expect(outcome.status, `answer frame ${JSON.stringify(outcome.body)}`).to.equal(200);
});

When('a WebSocket client tries to connect with {badToken}', async function (this: PoolWorld, kind: BadTokenKind) {
  const sessions = sessionsOf(this);
  sessions.token = await new AuthClient(this.client('auth')).badToken(kind);
  sessions.refusal = await sessions.openWebSocket(sessions.token).then(() => undefined, (error: unknown) => error);
});

Then('the connection is refused as unauthorized because {string}', function (this: PoolWorld, reason: string) {
  expectRefusedUnauthorized(sessionsOf(this).refusal, reason);
});

Then('the auth service refuses the same token over HTTP because {string}', async function (this: PoolWorld, reason: string) {
  expectHttpUnauthorized(await new AuthClient(this.client('auth')).me(sessionsOf(this).token ?? ''), reason);
});
