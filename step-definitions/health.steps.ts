import { Then } from '@cucumber/cucumber';
import type { HealthStatus } from '../support/clients/contract';
import { eventually } from '../support/eventually';
import { expectHealth, expectHealthRecovered } from '../support/expectations/health';
import type { ServiceName } from '../support/system-under-test';
import { WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('the {service} health is {health} or {health}', async function (this: PoolWorld, service: ServiceName, one: HealthStatus, other: HealthStatus) {
  await eventually(async () => expectHealth(service, await this.client(service).health(), [one, other]), { within: WAIT.shortly });
});

Then('the {service} health becomes {health}', async function (this: PoolWorld, service: ServiceName, status: HealthStatus) {
  await eventually(async () => expectHealth(service, await this.client(service).health(), [status]), { within: WAIT.settle });
});

Then('the {service} health history shows it went critical and recovered', async function (this: PoolWorld, service: ServiceName) {
  expectHealthRecovered(await this.client(service).poolSnapshot(), 'critical');
});
