import { Then } from '@cucumber/cucumber';
import { expectDatabaseAgrees } from '../support/expectations/audit';
import { auditConnections } from '../support/leak-audit';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

Then('the database sees exactly the connections the {service} reports', async function (this: PoolWorld, service: ServiceName) {
  await expectDatabaseAgrees(this.client(service), this.requireAudit());
});

Then('every {service} connection is back in the pool', async function (this: PoolWorld, service: ServiceName) {
  await auditConnections(this.client(service), this.requireAudit());
});
