import { Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { expectBackpressure, expectNoServerErrors } from '../support/expectations/backpressure';
import { expectQueuedThenServed } from '../support/expectations/queueing';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Then('that request waits in the queue and succeeds once a connection frees up', async function (this: PoolWorld) {
  await expectQueuedThenServed(this.client('backend'), this.operations, this.operations.latest('extra'));
});

Then('that request is refused with 503 and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectBackpressure(outcome, 503);
  const timeoutMs = this.limits.backend!.poolTimeoutSeconds * 1000;
  // Not before the pool timeout; at most 2 s after it on a busy 2-core machine.
  expect(outcome.ms, 'time until refused (ms)').to.be.within(timeoutMs * 0.95, timeoutMs + 2000);
});

Then('that request is refused at once with 429 and a Retry-After hint', async function (this: PoolWorld) {
  const outcome = await this.operations.latest('extra').result;
  expectBackpressure(outcome, 429);
  // "At once": far below any pool timeout; npm run bench measures the real p99.
  expect(outcome.ms, 'time until refused (ms)').to.be.below(1000);
});

Then('the {service} stays up and has answered no request with a 500', async function (this: PoolWorld, service: ServiceName) {
  const health = await this.client(service).health();
  expect(health.status, `${service} /health answered`).to.be.oneOf([200, 503]);
  expect(health.headers['content-type'], `${service} /health content type`).to.match(/^application\/health\+json/);
  expectNoServerErrors(this.operations);
});
