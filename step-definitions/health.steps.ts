import { Then } from '@cucumber/cucumber';
import type { HealthStatus } from '../support/clients/contract';
import { expectHealth, expectSampledWentAndRecovered, expectTransitionsWentAndRecovered } from '../support/expectations/health';
import type { ServiceName } from '../support/system-under-test';
import { healthHistorySince, untilHealth } from '../support/tasks/health';
import { WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('the {service} health is {health} or {health}', async function (this: PoolWorld, service: ServiceName, one: HealthStatus, other: HealthStatus) {
  expectHealth(service, await untilHealth(this, service, [one, other], WAIT.shortly), [one, other]);
});

Then('the {service} health becomes {health}', async function (this: PoolWorld, service: ServiceName, status: HealthStatus) {
  expectHealth(service, await untilHealth(this, service, [status], WAIT.settle), [status]);
});

// Only this scenario's transitions: those from its first request to the service on. The service's own record where it keeps one, else the health checks the suite sampled.
Then('the {service} health history shows it went critical and recovered', async function (this: PoolWorld, service: ServiceName) {
  const history = await healthHistorySince(this, service);
  const seen = 'transitions' in history ? expectTransitionsWentAndRecovered(service, history.transitions, history.since, 'critical') : expectSampledWentAndRecovered(service, history.samples, history.since, 'critical');
  this.attach(`evidence: ${history.evidence} (${seen} since this scenario's first request)`);
});
