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

// Only this scenario's transitions: those from its first request on (earlier ones, even of this
// scenario's set-up, were not caused by it). The service's own record where it keeps one, else the
// health checks the suite sampled.
Then('the {service} health history shows it went critical and recovered', async function (this: PoolWorld, service: ServiceName) {
  const target = this.target(service);
  const since = firstRequestAt(this, service);
  if (target.keepsHealthHistory) {
    const seen = expectTransitionsWentAndRecovered(service, (await target.testApi().poolSnapshot()).health.transitions, since, 'critical');
    this.attach(`evidence: the service's own health transitions (${seen} since this scenario's first request)`);
  } else {
    if (!target.hasHealth) throw new NotOffered('a health check', `${target.label} has none`);
    const timeline = this.timeline!;
    // The next sample may still be on its way (one every 250 ms).
    const seen = await eventually(() => expectSampledWentAndRecovered(service, timeline.liveness.samples, since, 'critical'), { within: WAIT.shortly });
    this.attach(`evidence: the suite's own health checks, sampled every 250 ms (${seen} since this scenario's first request)`);
  }
});

/** Epoch ms the scenario sent its first request to `service`. */
function firstRequestAt(world: PoolWorld, service: ServiceName): number {
  const first = world.operations.all().find((op) => op.service === service);
  if (!first) throw new Error(`no request was sent to the ${service} in this scenario: there is no health change of its own to judge`);
  return first.startedAt;
}
