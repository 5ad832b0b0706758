import { Given, Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectSaturation } from '../support/expectations/pool';
import type { PoolShape } from '../support/pool-shape';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Given('the {service} pool {poolShape}', async function (this: PoolWorld, service: ServiceName, shape: Partial<PoolShape>) {
  await this.shapePool(service, shape);
});

Then('the {service} pool reports {int}% utilization with {int} overflow connections in use and none idle', async function (this: PoolWorld, service: ServiceName, percent: number, overflow: number) {
  const target = this.target(service);
  // Judged while every operation still holds its connection: once one has ended, the failure of the last reading before stands.
  const holding = () => this.operations.all().every((op) => op.service !== service || !op.outcome);
  let failure: unknown;
  const judged = await eventually(async () => {
    if (failure && !holding()) return { failure };
    try {
      return { reports: expectSaturation(target, await target.ownReports(), percent, overflow, 0) };
    } catch (error) {
      failure = error;
      throw error;
    }
  });
  if ('failure' in judged) throw judged.failure;
  this.attach(`evidence: ${judged.reports.join(' and ')}`);
});
