import { Given, Then } from '@cucumber/cucumber';
import { expectSaturation } from '../support/expectations/pool';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} pool has pool size {int} and max overflow {int}', async function (this: PoolWorld, service: ServiceName, poolSize: number, maxOverflow: number) {
  await this.configurePool(service, { poolSize, maxOverflow });
});

Given('the {service} pool lets {int} requests wait and times out after {duration}', async function (this: PoolWorld, service: ServiceName, maxQueue: number, timeoutMs: number) {
  await this.configurePool(service, { maxQueue, poolTimeoutSeconds: timeoutMs / 1000 });
});

Then('the {service} pool reports {int}% utilization with {int} overflow connections in use', async function (this: PoolWorld, service: ServiceName, percent: number, overflow: number) {
  await expectSaturation(this.client(service), percent, overflow);
});
