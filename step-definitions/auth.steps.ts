import { Then, When } from '@cucumber/cucumber';
import { expectEachLoginReachedPool, expectLoginsAnswered } from '../support/expectations/auth';
import { admissionsAfterStorm, startLoginStorm } from '../support/tasks/sign-in';
import type { PoolWorld } from '../support/world';

When('{int} users log in at once', async function (this: PoolWorld, count: number) {
  await startLoginStorm(this, count);
});

Then('every login succeeds or is refused with backpressure and a Retry-After hint', async function (this: PoolWorld) {
  const auth = this.target('auth');
  const { succeeded, refused } = expectLoginsAnswered(await this.operations.settled('login'), (login) => auth.tokenOf(login), auth.refusals, auth.settings);
  this.attach(`${succeeded} logins succeeded, ${refused} refused with backpressure`);
});

Then('every login asked the auth pool for a connection exactly once', async function (this: PoolWorld) {
  const { before, after, logins } = await admissionsAfterStorm(this);
  expectEachLoginReachedPool(before, after, logins);
});
