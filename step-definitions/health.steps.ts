import { Then } from '@cucumber/cucumber';
import type { HealthStatus } from '../support/clients/contract';
import { expectHealth, expectHealthRecovered } from '../support/expectations/health';
import { WAIT } from '../support/eventually';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Then('the {service} health is {health} or {health}', async function (this: PoolWorld, service: ServiceName, one: HealthStatus, other: HealthStatus) {
  await expectHealth(this.client(service), [one, other], WAIT.shortly);
});

Then('the {service} health becomes {health}', async function (this: PoolWorld, service: ServiceName, status: HealthStatus) {
  await expectHealth(this.client(service), [status], WAIT.settle);
});

Then('the {service} health history shows it went critical and recovered', async function (this: PoolWorld, service: ServiceName) {
  await expectHealthRecovered(this.client(service), 'critical');
});
