import { Given, Then, When } from '@cucumber/cucumber';
import { badToken, type BadTokenKind } from '../support/clients/auth-client';
import { expectHttpUnauthorized } from '../support/expectations/auth';
import { expectSucceeded } from '../support/expectations/recovery';
import { eventually } from '../support/eventually';
import { expectErrorFrame, expectOpenAndAnswered, expectQueuedBehind, expectRefusedUnauthorized, expectServedOnceFree } from '../support/expectations/websocket';
import { openSignedInWebSocket, startWebSocketRequest, tryWebSocketWith, webSocketsOf } from '../support/tasks/websocket-sessions';
import { PING_WITHIN_MS } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('a WebSocket client signed in as the test user', async function (this: PoolWorld) {
  await openSignedInWebSocket(this);
});

When('the WebSocket client asks for data from the database', function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
});

Then('it receives a {string} error frame with status {int} and a retry hint', async function (this: PoolWorld, code: string, status: number) {
  expectErrorFrame(await this.operations.latest('ws').result, code, status);
});

Then('its connection stays open and answers a ping', async function (this: PoolWorld) {
  const socket = webSocketsOf(this).webSocket;
  expectOpenAndAnswered(socket, socket.isOpen ? await socket.ping(PING_WITHIN_MS) : undefined, PING_WITHIN_MS);
});

Then('its request waits in the queue for a backend connection, and meanwhile its connection stays open and answers a ping', async function (this: PoolWorld) {
  const request = this.operations.latest('ws');
  const queuedBefore = this.operations.labelled('waiting').filter((op) => !op.outcome).length;
  await eventually(async () => expectQueuedBehind(request, await this.pool('backend'), queuedBefore));
  const socket = webSocketsOf(this).webSocket;
  const pingMs = expectOpenAndAnswered(socket, socket.isOpen ? await socket.ping(PING_WITHIN_MS) : undefined, PING_WITHIN_MS);
  // Still queued after the ping: the pong came while the request waited.
  expectQueuedBehind(request, await this.pool('backend'), queuedBefore);
  this.attach(`queued behind ${queuedBefore} waiting requests; ping answered in ${pingMs.toFixed(1)} ms while it waited`);
});

Then('the WebSocket client gets its data once a connection is free, within the pool timeout', async function (this: PoolWorld) {
  const frame = expectServedOnceFree(await this.operations.latest('ws').result, await this.operations.settled('holder'), this.shapeOf('backend').poolTimeout, webSocketsOf(this).webSocket);
  this.attach(`answer frame: ${JSON.stringify(frame)}`);
});

Then("the WebSocket client's next request succeeds", async function (this: PoolWorld) {
  startWebSocketRequest(this, 'ws');
  expectSucceeded(await this.operations.latest('ws').result, 'the WebSocket request');
});

When('a WebSocket client tries to connect with {badToken}', async function (this: PoolWorld, kind: BadTokenKind) {
  await tryWebSocketWith(this, await badToken(kind, this.target('auth')));
});

Then('the connection is refused as unauthorized because {string}', function (this: PoolWorld, reason: string) {
  expectRefusedUnauthorized(webSocketsOf(this).refusal, reason);
});

Then('the auth service refuses the same token over HTTP because {string}', async function (this: PoolWorld, reason: string) {
  expectHttpUnauthorized(await this.target('auth').checkToken(webSocketsOf(this).token ?? ''), reason);
});
