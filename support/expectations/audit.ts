import { expect } from 'chai';
import type { DatabaseAudit } from '../clients/database-audit';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';

/** PostgreSQL's pg_stat_activity and the service's own metrics agree on what is open and in use. */
export async function expectDatabaseAgrees(client: ServiceClient, audit: DatabaseAudit): Promise<void> {
  await eventually(async () => {
    const { connections } = await client.poolSnapshot();
    const database = await audit.connectionsOf(client.service);
    expect(database.busy, `busy ${client.service} connections in pg_stat_activity vs the service's active count`).to.equal(connections.active);
    expect(database.total, `open ${client.service} connections in pg_stat_activity vs the service's total`).to.equal(connections.total);
  });
}
