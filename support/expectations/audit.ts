import { expect } from 'chai';
import type { PoolSnapshot } from '../clients/contract';
import type { Outcome } from '../clients/outcome';
import { shapeOf, type PoolShape } from '../pool-shape';
import type { ConnectionAudit } from '../tasks/connection-audit';

/**
 * No connection leaked: the service holds nothing checked out, nobody waits, overflow was closed,
 * and PostgreSQL's own pg_stat_activity agrees with the service's count of open connections.
 */
export function expectNoLeak(audit: ConnectionAudit): ConnectionAudit {
  const { service, reported, database } = audit;
  expect(reported.active, `${service}: connections still checked out`).to.equal(0);
  expect(reported.waiting, `${service}: requests still waiting`).to.equal(0);
  expect(reported.total, `${service}: open connections above pool_size ${reported.poolSize} (overflow not closed)`).to.be.at.most(reported.poolSize);
  expect(database.busy, `${service}: pg_stat_activity shows connections still busy`).to.equal(0);
  expect(database.total, `${service}: pg_stat_activity disagrees with the service's own count`).to.equal(reported.total);
  return audit;
}

/** PostgreSQL's pg_stat_activity and the service's own metrics agree on what is open and in use. */
export function expectDatabaseAgrees({ service, reported, database }: ConnectionAudit): void {
  expect(database.busy, `busy ${service} connections in pg_stat_activity vs the service's active count`).to.equal(reported.active);
  expect(database.total, `open ${service} connections in pg_stat_activity vs the service's total`).to.equal(reported.total);
}

/** Nothing checked out and nobody waiting: where every scenario starts. */
export function expectDrained({ service, connections }: PoolSnapshot): void {
  expect(connections.active, `${service} connections in use`).to.equal(0);
  expect(connections.waiting, `${service} requests waiting`).to.equal(0);
}

/** The admin API took the new shape; returns the shape it now has. */
export function expectReconfigured(service: string, outcome: Outcome): PoolShape {
  expect(outcome.status, `configuring the ${service} pool: ${JSON.stringify(outcome.body)}`).to.equal(200);
  return shapeOf((outcome.body as PoolSnapshot).config);
}
