import { Then } from '@cucumber/cucumber';
import type { HealthStatus } from '../support/clients/contract';
import { eventually } from '../support/eventually';
import { expectHealth, expectSampledWentAndRecovered, expectTransitionsWentAndRecovered } from '../support/expectations/health';
import type { ServiceName } from '../support/system-under-test';
import { NotOffered } from '../support/targets/not-offered';
import { WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('the {service} health is {health} or {health}', async function (this: PoolWorld, service: ServiceName, one: HealthStatus, other: HealthStatus) {
  await eventually(async () => expectHealth(service, await this.health(service), [one, other]), { within: WAIT.shortly });
});

Then('the {service} health becomes {health}', async function (this: PoolWorld, service: ServiceName, status: HealthStatus) {
  await eventually(async () => expectHealth(service, await this.health(service), [status]), { within: WAIT.settle });
});

// Only this scenario's history: the service's own record where it keeps one, else the health checks the suite sampled.
Then('the {service} health history shows it went critical and recovered', async function (this: PoolWorld, service: ServiceName) {
  const target = this.target(service);
  const timeline = this.timeline!;
  if (target.keepsHealthHistory) {
    const seen = expectTransitionsWentAndRecovered(service, (await target.testApi().poolSnapshot()).health.transitions, timeline.startedAt, 'critical');
    this.attach(`evidence: the service's own health transitions (${seen} in this scenario)`);
  } else {
    if (!target.hasHealth) throw new NotOffered('a health check', `${target.label} has none`);
    // The next sample may still be on its way (one every 250 ms).
    const seen = await eventually(() => expectSampledWentAndRecovered(service, timeline.liveness.samples, 'critical'), { within: WAIT.shortly });
    this.attach(`evidence: the suite's own health checks, sampled every 250 ms (${seen} in this scenario)`);
  }
});
