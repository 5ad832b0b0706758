import type { DatabaseAudit } from '../clients/database-audit';
import type { ServiceClient } from '../clients/service-client';

/** What a service says it holds, beside what PostgreSQL says it holds (pg_stat_activity by application_name). */
export interface ConnectionAudit {
  service: string;
  reported: { active: number; idle: number; total: number; waiting: number; poolSize: number };
  database: { total: number; busy: number };
}

/** Reads both sides once: the service's own snapshot, then PostgreSQL's view of the same service. */
export async function auditConnections(client: ServiceClient, audit: DatabaseAudit): Promise<ConnectionAudit> {
  const { connections } = await client.poolSnapshot();
  const database = await audit.connectionsOf(client.service);
  const { active, idle, total, waiting, poolSize } = connections;
  return { service: client.service, reported: { active, idle, total, waiting, poolSize }, database };
}
