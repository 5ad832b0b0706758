import { When } from '@cucumber/cucumber';
import { holdConnections, startExtraRequest } from '../support/load/workload';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

When('{int} operations each hold a {service} connection for {duration}', async function (this: PoolWorld, count: number, service: ServiceName, holdMs: number) {
  await holdConnections(this, service, count, holdMs);
});

When('one more request needs a {service} connection', function (this: PoolWorld, service: ServiceName) {
  startExtraRequest(this, service);
});

When('all operations have finished', async function (this: PoolWorld) {
  await this.operations.settled();
});
