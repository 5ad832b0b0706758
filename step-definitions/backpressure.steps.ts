import { Then } from '@cucumber/cucumber';
import { expectEveryAnswerCame, expectNoServerErrors, expectRefusedAtOnceQueueFull, expectServiceAnswersHealth, expectTimedOutAtPoolTimeout } from '../support/expectations/backpressure';
import { expectServedAfterFirstRelease, expectWaitingWhileUnanswered } from '../support/expectations/queue';
import type { ServiceName } from '../support/system-under-test';
import { answersOf, healthIfAny } from '../support/tasks/answers';
import { readingWhileUnanswered } from '../support/tasks/requests';
import { AT_ONCE_MS, AT_POOL_TIMEOUT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('that request waits in the queue and succeeds once a connection frees up', async function (this: PoolWorld) {
  const request = this.operations.latest('extra');
  expectWaitingWhileUnanswered(await readingWhileUnanswered(this, 'backend', request));
  expectServedAfterFirstRelease(await request.result, await this.operations.settled('holder'), AT_POOL_TIMEOUT.lateMs);
});

Then('that request is refused with backpressure at the pool timeout, with a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  const refusal = expectTimedOutAtPoolTimeout(outcome, this.target('backend').refusals, this.settingsOf('backend'), AT_POOL_TIMEOUT);
  this.attach(`refused with ${refusal.status} after ${Math.round(outcome.ms)} ms, Retry-After ${refusal.retryAfterSeconds} s`);
});

Then('that request is refused with backpressure at once, with a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  const refusal = expectRefusedAtOnceQueueFull(outcome, this.target('backend').refusals, this.settingsOf('backend'), AT_ONCE_MS);
  this.attach(`refused with ${refusal.status} after ${Math.round(outcome.ms)} ms, Retry-After ${refusal.retryAfterSeconds} s`);
});

// Every request of the scenario, once each has its answer; up: every request got an answer, and its health check (where it has one) still answers now.
Then('the {service} stays up and has answered no request with a 500', async function (this: PoolWorld, service: ServiceName) {
  const answers = await answersOf(this, service);
  expectNoServerErrors(answers);
  expectEveryAnswerCame(answers);
  const health = await healthIfAny(this, service);
  if (health) expectServiceAnswersHealth(service, health);
});
