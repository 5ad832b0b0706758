import { Then } from '@cucumber/cucumber';
import { eventually } from '../support/eventually';
import { expectDatabaseAgrees, expectNoLeak } from '../support/expectations/audit';
import type { ServiceName } from '../support/system-under-test';
import { auditConnections } from '../support/tasks/connection-audit';
import { WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Then('the database sees exactly the connections the {service} reports', async function (this: PoolWorld, service: ServiceName) {
  await eventually(async () => expectDatabaseAgrees(await auditConnections(this.target(service), this.requireAudit())));
});

Then('every {service} connection is back in the pool', async function (this: PoolWorld, service: ServiceName) {
  await eventually(async () => expectNoLeak(await auditConnections(this.target(service), this.requireAudit())), { within: WAIT.settle, every: 200 });
});
