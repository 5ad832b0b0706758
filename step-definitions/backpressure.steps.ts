import { Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectBackpressure, expectEveryAnswerCame, expectNoServerErrors, expectRefusedWithin, expectServiceAnswersHealth } from '../support/expectations/backpressure';
import { expectServedAfterFirstRelease, expectWaitingWhileUnanswered } from '../support/expectations/queue';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Then('that request waits in the queue and succeeds once a connection frees up', async function (this: PoolWorld) {
  const request = this.operations.latest('extra');
  await eventually(async () => expectWaitingWhileUnanswered(request, await this.pool('backend')));
  expectServedAfterFirstRelease(await request.result, await this.operations.settled('holder'));
});

Then('that request is refused with 503 and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectBackpressure(outcome, 503);
  // Not before the pool timeout; at most 2 s after it on a busy 2-core machine.
  const timeoutMs = this.shapeOf('backend').poolTimeout.ms;
  expectRefusedWithin(outcome, timeoutMs * 0.95, timeoutMs + 2000);
});

Then('that request is refused at once with 429 and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectBackpressure(outcome, 429);
  // "At once": far below any pool timeout; npm run bench measures the real p99.
  expectRefusedWithin(outcome, 0, 1000);
});

Then('the {service} stays up and has answered no request with a 500', async function (this: PoolWorld, service: ServiceName) {
  // Up: its health check answers; a service without one is judged by every request having had an answer.
  if (this.target(service).hasHealth) expectServiceAnswersHealth(service, await this.health(service));
  else expectEveryAnswerCame(this.operations);
  expectNoServerErrors(this.operations);
});
