import { When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import type { ServiceName } from '../support/system-under-test';
import { holdConnections } from '../support/tasks/hold-connections';
import { startExtraRequest } from '../support/tasks/requests';
import type { PoolWorld } from '../support/world';

When('{int} operations each hold a {service} connection for {duration}', async function (this: PoolWorld, count: number, service: ServiceName, hold: Duration) {
  await holdConnections(this, service, count, hold);
});

When('one more request needs a {service} connection', function (this: PoolWorld, service: ServiceName) {
  startExtraRequest(this, service);
});

When('all operations have finished', async function (this: PoolWorld) {
  await this.operations.settled();
});
