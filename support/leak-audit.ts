import { expect } from 'chai';
import type { DatabaseAudit } from './clients/database-audit';
import type { ServiceClient } from './clients/service-client';
import { WAIT, eventually } from './eventually';

export interface LeakAuditResult {
  service: string;
  reported: { active: number; idle: number; total: number; waiting: number; poolSize: number };
  database: { total: number; busy: number };
}

/**
 * No connection leaked: the service holds nothing checked out, nobody waits, overflow was closed,
 * and PostgreSQL's own pg_stat_activity agrees with the service's count of open connections.
 */
export async function auditConnections(client: ServiceClient, audit: DatabaseAudit, within: number = WAIT.settle): Promise<LeakAuditResult> {
  return eventually(async () => {
    const snapshot = await client.poolSnapshot();
    const database = await audit.connectionsOf(client.service);
    const { active, idle, total, waiting, poolSize } = snapshot.connections;
    expect(active, `${client.service}: connections still checked out`).to.equal(0);
    expect(waiting, `${client.service}: requests still waiting`).to.equal(0);
    expect(total, `${client.service}: open connections above pool_size ${poolSize} (overflow not closed)`).to.be.at.most(poolSize);
    expect(database.busy, `${client.service}: pg_stat_activity shows connections still busy`).to.equal(0);
    expect(database.total, `${client.service}: pg_stat_activity disagrees with the service's own count`).to.equal(total);
    return { service: client.service, reported: { active, idle, total, waiting, poolSize }, database };
  }, { within, every: 200 });
}
