import { Then, When } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectEachLoginReachedPool, expectLoginsAnswered } from '../support/expectations/auth';
import { authAdmissions, signInsOf, startLoginStorm } from '../support/tasks/sign-in';
import type { PoolWorld } from '../support/world';

When('{int} users log in at once', async function (this: PoolWorld, count: number) {
  await startLoginStorm(this, count);
});

Then('every login succeeds or is refused with 429 or 503 and a Retry-After hint', async function (this: PoolWorld) {
  const { succeeded, refused } = expectLoginsAnswered(await this.operations.settled('login'));
  this.attach(`${succeeded} logins succeeded, ${refused} refused with backpressure`);
});

Then('every login asked the auth pool for a connection exactly once', async function (this: PoolWorld) {
  const logins = this.operations.labelled('login').length;
  await eventually(async () => expectEachLoginReachedPool(signInsOf(this).authAdmissionsBefore!, await authAdmissions(this), logins));
});
