import { Given, Then, When } from '@cucumber/cucumber';
import { expectHttpUnauthorized } from '../support/expectations/auth';
import { expectSucceeded } from '../support/expectations/recovery';
import { expectErrorMessage, expectOpenAndAnswered, expectQueuedBehind, expectReason, expectServedOnceFree, expectUpgradeRefused } from '../support/expectations/websocket';
import { required } from '../support/targets/not-offered';
import type { BadTokenKind } from '../support/targets/token-maker';
import { readingWhileQueued } from '../support/tasks/requests';
import { openSignedInWebSocket, pingScenarioSocket, presentToken, presentedToken, startWebSocketRequest, tryWebSocketWith, webSocketsOf } from '../support/tasks/websocket-sessions';
import { PING_WITHIN_MS } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('a WebSocket client signed in as the test user', async function (this: PoolWorld) {
  await openSignedInWebSocket(this);
});

When('the WebSocket client asks for data from the database', function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
});

Then('it receives an error message saying the wait timed out, with a retry hint', async function (this: PoolWorld) {
  const backend = this.target('backend');
  this.attach(`error message: ${JSON.stringify(expectErrorMessage(await this.operations.latest('ws').result, 'timedOut', required(backend.webSocket, 'a WebSocket', 'none is described'), backend.settings))}`);
});

Then('it receives an error message saying the queue is full, with a retry hint', async function (this: PoolWorld) {
  const backend = this.target('backend');
  this.attach(`error message: ${JSON.stringify(expectErrorMessage(await this.operations.latest('ws').result, 'queueFull', required(backend.webSocket, 'a WebSocket', 'none is described'), backend.settings))}`);
});

Then('its connection stays open and answers a ping', async function (this: PoolWorld) {
  const socket = webSocketsOf(this).webSocket;
  expectOpenAndAnswered(socket, await pingScenarioSocket(this, PING_WITHIN_MS), PING_WITHIN_MS);
});

Then('its request waits in the queue for a backend connection, and meanwhile its connection stays open and answers a ping', async function (this: PoolWorld) {
  const { request, queuedBefore, before, pingMs, after } = await readingWhileQueued(this, 'backend', this.operations.latest('ws'), () => pingScenarioSocket(this, PING_WITHIN_MS));
  expectQueuedBehind(request, before, queuedBefore);
  expectOpenAndAnswered(webSocketsOf(this).webSocket, pingMs, PING_WITHIN_MS);
  expectQueuedBehind(request, after, queuedBefore);
});

Then('the WebSocket client gets its data once a connection is free, within the pool timeout', async function (this: PoolWorld) {
  const answer = expectServedOnceFree(await this.operations.latest('ws').result, await this.operations.settled('holder'), this.settingsOf('backend').poolTimeout, webSocketsOf(this).webSocket);
  this.attach(`answer: ${JSON.stringify(answer)}`);
});

Then("the WebSocket client's next request succeeds", async function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
  expectSucceeded(await this.operations.latest('ws').result, 'the WebSocket request');
});

When('a client presents {badToken}', async function (this: PoolWorld, kind: BadTokenKind) {
  await presentToken(this, kind);
});

Then('the auth service refuses it as unauthorized', function (this: PoolWorld) {
  expectHttpUnauthorized(presentedToken(this).answer, this.target('auth').tokens.refusal);
});

Then('the refusal says why: {}', function (this: PoolWorld, _reason: string) {
  const { answer, kind } = presentedToken(this);
  const auth = this.target('auth');
  this.attach(`the service's reason: ${expectReason(answer.body, auth.tokens.refusal.reason, kind, auth.tokens)}`);
});

Then('a WebSocket client with the same token is refused as unauthorized', async function (this: PoolWorld) {
  const rules = required(this.target('backend').webSocket, 'a WebSocket', `${this.target('backend').label} describes none (websocket)`);
  this.attach(expectUpgradeRefused(await tryWebSocketWith(this, presentedToken(this).token), rules));
});
