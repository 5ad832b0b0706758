import { Given, Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectSaturation } from '../support/expectations/pool';
import type { PoolShape } from '../support/pool-shape';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} pool {poolShape}', async function (this: PoolWorld, service: ServiceName, shape: Partial<PoolShape>) {
  await this.shapePool(service, shape);
});

Then('the {service} pool reports {int}% utilization with {int} overflow connections in use', async function (this: PoolWorld, service: ServiceName, percent: number, overflow: number) {
  const target = this.target(service);
  const reports = await eventually(async () => expectSaturation(target, await target.ownReports(), percent, overflow));
  this.attach(`evidence: ${reports.join(' and ')}`);
});
