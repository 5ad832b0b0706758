import { Given, Then } from '@cucumber/cucumber';
import { eventuallyWhile } from '../support/eventually';
import { expectSaturation } from '../support/expectations/pool';
import type { ServiceName } from '../support/system-under-test';
import type { ScenarioSettings } from '../support/targets/settings';
import { holdersStillHold } from '../support/tasks/hold-connections';
import { changeSettings } from '../support/tasks/settings';
import type { PoolWorld } from '../support/world';

Given('the {service} pool {poolShape}', async function (this: PoolWorld, service: ServiceName, shape: Partial<ScenarioSettings>) {
  await changeSettings(this, service, shape);
});

// Judged while every operation still holds its connection: once one has ended, the failure of the last reading before stands.
Then('the {service} pool reports {int}% utilization with {int} overflow connections in use and none idle', async function (this: PoolWorld, service: ServiceName, percent: number, overflow: number) {
  const target = this.target(service);
  const channels = await eventuallyWhile(holdersStillHold(this, service), async () => expectSaturation(target, await target.ownReports(), percent, overflow, 0));
  this.attach(`evidence: ${channels.join(' and ')}`);
});
