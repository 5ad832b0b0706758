import { DatabaseAudit } from '../clients/database-audit';
import type { PoolReading, ServiceTarget } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** What a service says it holds, beside what PostgreSQL says it holds (pg_stat_activity by application_name). */
export interface ConnectionAudit {
  service: string;
  /** The service's reading (each figure with the evidence it came from). */
  reported: PoolReading;
  database: { total: number; busy: number };
}

/** Reads both sides once: the service's pool state, then PostgreSQL's view of the same connections. */
export async function auditConnections(target: ServiceTarget, audit: DatabaseAudit): Promise<ConnectionAudit> {
  const reported = await target.poolState();
  const database = await audit.connectionsOf(target.applicationName);
  return { service: target.service, reported, database };
}

/** Opens the scenario's audit connection: at its start, and again after it restarted PostgreSQL. */
export async function connectAudit(world: PoolWorld): Promise<void> {
  const audit = await DatabaseAudit.connect(world.system.auditDatabaseUrl!, world.system.auditDatabases);
  await world.audit?.close();
  world.audit = audit;
  world.onCleanup(() => audit.close());
}
