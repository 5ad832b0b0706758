import { expect } from 'chai';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import type { ConnectionAudit } from '../tasks/connection-audit';

/** A figure the service reported about itself (not one the suite read from PostgreSQL or set itself). */
function ownFigure(reading: PoolReading, key: 'active' | 'idle' | 'open' | 'waiting' | 'poolSize'): number | undefined {
  const evidence = reading.evidence[key];
  return evidence === 'json' || evidence === 'prometheus' ? reading[key] : undefined;
}

/** The open connections the service reports: its own count, or what it has in use and idle (SQLAlchemy's checkedout() and checkedin()). */
function ownOpen(reading: PoolReading): number | undefined {
  const active = ownFigure(reading, 'active');
  const idle = ownFigure(reading, 'idle');
  return ownFigure(reading, 'open') ?? (active !== undefined && idle !== undefined ? active + idle : undefined);
}

/**
 * No connection leaked: PostgreSQL's pg_stat_activity shows none of the service's connections busy;
 * and where the service reports its own counts, nothing is checked out, nobody waits, overflow was
 * closed, and PostgreSQL agrees with its count of open connections.
 */
export function expectNoLeak(audit: ConnectionAudit): ConnectionAudit {
  const { service, reported, database } = audit;
  const active = ownFigure(reported, 'active');
  const waiting = reported.waiting;
  const open = ownOpen(reported);
  const poolSize = reported.poolSize;
  if (active !== undefined) expect(active, `${service}: connections still checked out`).to.equal(0);
  if (waiting !== undefined) expect(waiting, `${service}: requests still waiting`).to.equal(0);
  if (open !== undefined && poolSize !== undefined) expect(open, `${service}: open connections above pool_size ${poolSize} (overflow not closed)`).to.be.at.most(poolSize);
  expect(database.busy, `${service}: pg_stat_activity shows connections still busy`).to.equal(0);
  if (open !== undefined) expect(database.total, `${service}: pg_stat_activity disagrees with the service's own count`).to.equal(open);
  return audit;
}

/** PostgreSQL's pg_stat_activity and the service's own metrics agree on what is open and in use. */
export function expectDatabaseAgrees({ service, reported, database }: ConnectionAudit): void {
  const active = ownFigure(reported, 'active');
  const open = ownOpen(reported);
  if (active === undefined || open === undefined) {
    throw new NotOffered("the service's own count of its connections", `${service} reports none (its pool is seen only through pg_stat_activity), so there is nothing to compare PostgreSQL's count with`);
  }
  expect(database.busy, `busy ${service} connections in pg_stat_activity vs the service's active count`).to.equal(active);
  expect(database.total, `open ${service} connections in pg_stat_activity vs the service's total`).to.equal(open);
}

/** Nothing checked out and nobody waiting: where every scenario starts. */
export function expectDrained(reading: PoolReading): void {
  expect(reading.active, `${reading.service} connections in use`).to.equal(0);
  if (reading.waiting !== undefined) expect(reading.waiting, `${reading.service} requests waiting`).to.equal(0);
}
