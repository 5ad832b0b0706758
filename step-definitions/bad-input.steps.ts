import { Then, When, defineParameterType } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import {
  expectClosedAsTooBig,
  expectErrorFrameSaying,
  expectFloodAnswered,
  expectKeptServing,
  expectRefusedWith,
  expectLimitsUnchanged,
  expectStartRefused,
  expectWebSocketClientServed,
} from '../support/expectations/bad-input';
import type { ServiceName } from '../support/system-under-test';
import {
  awaitSocketClose,
  badInputOf,
  currentLimits,
  floodWithHolds,
  sendBadFrame,
  sendBadRequest,
  sendFrameOfSize,
  serveAnotherClient,
  serveAnotherWebSocketClient,
  setPoolSetting,
  startServiceWith,
} from '../support/tasks/bad-input';
import { BAD_FRAMES, BAD_HTTP_REQUESTS, phrasePattern } from '../support/tasks/bad-input-catalogue';
import type { PoolWorld } from '../support/world';

// The bad input the tables name: the catalogue's phrases (support/tasks/bad-input-catalogue.ts).
defineParameterType({ name: 'badRequest', regexp: phrasePattern(BAD_HTTP_REQUESTS), transformer: (phrase: string) => phrase });
defineParameterType({ name: 'badFrame', regexp: phrasePattern(BAD_FRAMES), transformer: (phrase: string) => phrase });

When('a new {service} process starts with {word} set to {string}', async function (this: PoolWorld, service: ServiceName, variable: string, value: string) {
  await startServiceWith(this, service, variable, value);
});

Then('it stops before listening, with exit code 2 and one line that names {word} and the value, and says: {}', function (this: PoolWorld, variable: string, allowed: string) {
  this.attach(`refused start: ${JSON.stringify(expectStartRefused(badInputOf(this), variable, allowed, false))}`);
});

Then('it stops before listening, with exit code 2 and one line that names {word} but not the secret, and says: {}', function (this: PoolWorld, variable: string, allowed: string) {
  this.attach(`refused start: ${JSON.stringify(expectStartRefused(badInputOf(this), variable, allowed, true))}`);
});

When('a client sends {badRequest}', async function (this: PoolWorld, phrase: string) {
  await sendBadRequest(this, phrase);
});

When("an administrator sets the {service} pool's {word} to {}", async function (this: PoolWorld, service: ServiceName, setting: string, valueJson: string) {
  await setPoolSetting(this, service, setting, valueJson);
});

Then('it is refused with {int} and a problem that says: {}', function (this: PoolWorld, status: number, says: string) {
  expectRefusedWith(badInputOf(this), status, says);
});

Then('the {service} pool limits are what they were', async function (this: PoolWorld, service: ServiceName) {
  expectLimitsUnchanged(badInputOf(this), service, await currentLimits(this, service));
});

Then('the {service} keeps serving other clients', async function (this: PoolWorld, service: ServiceName) {
  expectKeptServing(badInputOf(this), service, await serveAnotherClient(this, service), this.operations);
});

When('it sends {badFrame}', async function (this: PoolWorld, phrase: string) {
  await sendBadFrame(this, phrase);
});

Then('it gets a {string} error frame with status {int} that says: {}', function (this: PoolWorld, code: string, status: number, says: string) {
  expectErrorFrameSaying(badInputOf(this), code, status, says);
});

When('it sends a frame of {int} KB', function (this: PoolWorld, kib: number) {
  sendFrameOfSize(this, kib);
});

Then('the backend closes that socket with code 1009, message too big', async function (this: PoolWorld) {
  await awaitSocketClose(this);
  expectClosedAsTooBig(badInputOf(this));
});

When('it sends {int} requests at once, each holding a connection for {duration}', async function (this: PoolWorld, count: number, hold: Duration) {
  await floodWithHolds(this, count, hold);
});

Then('{int} are served and {int} are refused as too many in flight, each request answered exactly once', function (this: PoolWorld, served: number, refused: number) {
  this.attach(`flood answers: ${JSON.stringify(expectFloodAnswered(badInputOf(this), served, refused))}`);
});

Then('the backend keeps serving other clients, over WebSocket and HTTP', async function (this: PoolWorld) {
  expectWebSocketClientServed(await serveAnotherWebSocketClient(this));
  expectKeptServing(badInputOf(this), 'backend', await serveAnotherClient(this, 'backend'), this.operations);
});
