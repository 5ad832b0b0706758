import { Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectEveryAnswerCame, expectNoServerErrors, expectRefusedAtOnceQueueFull, expectServiceAnswersHealth, expectTimedOutAtPoolTimeout } from '../support/expectations/backpressure';
import { expectServedAfterFirstRelease, expectWaitingWhileUnanswered } from '../support/expectations/queue';
import type { ServiceName } from '../support/system-under-test';
import { AT_ONCE_MS, AT_POOL_TIMEOUT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('that request waits in the queue and succeeds once a connection frees up', async function (this: PoolWorld) {
  const request = this.operations.latest('extra');
  await eventually(async () => expectWaitingWhileUnanswered(request, await this.pool('backend')));
  expectServedAfterFirstRelease(await request.result, await this.operations.settled('holder'), AT_POOL_TIMEOUT.lateMs);
});

Then('that request is refused with 503 at the pool timeout and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectTimedOutAtPoolTimeout(outcome, this.shapeOf('backend').poolTimeout, AT_POOL_TIMEOUT);
  this.attach(`refused after ${Math.round(outcome.ms)} ms, Retry-After ${outcome.headers['retry-after']} s`);
});

Then('that request is refused at once with 429 and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectRefusedAtOnceQueueFull(outcome, this.shapeOf('backend'), AT_ONCE_MS);
  this.attach(`refused after ${Math.round(outcome.ms)} ms, Retry-After ${outcome.headers['retry-after']} s`);
});

// Every request of the scenario, once each has its answer: holders still running when the step begins included.
Then('the {service} stays up and has answered no request with a 500', async function (this: PoolWorld, service: ServiceName) {
  await this.operations.settled();
  // Its own requests (and any that named no service).
  const answers = this.operations.all().filter((op) => op.service === undefined || op.service === service).map((op) => ({ label: op.label, outcome: op.outcome! }));
  expectNoServerErrors(answers);
  // Up: every request got an answer, and its health check (where it has one) still answers now.
  expectEveryAnswerCame(answers);
  if (this.target(service).hasHealth) expectServiceAnswersHealth(service, await this.health(service));
});
