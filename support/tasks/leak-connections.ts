import { expect } from 'chai';
import type { LeakReport, LeakSettings, LeakedConnection } from '../clients/contract';
import { describeOutcome } from '../clients/outcome';
import type { DatabaseAudit } from '../clients/database-audit';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/**
 * One leak the scenario made, with what was read when it started: this scenario's change of the
 * service's leak counters, and of PostgreSQL's count of terminated sessions, is judged against it.
 */
export interface LeakMark {
  service: ServiceName;
  leak: LeakedConnection;
  /** Epoch ms, the suite's clock: the leaking request was sent, and answered (the connection was taken in between). */
  sentAt: number;
  answeredAt: number;
  /** The service's counters before the leak. */
  countersBefore: { leaksDetected: number; leaksReclaimed: number };
  /** The database the leaked connection is on, and PostgreSQL's count of its terminated sessions before the leak (where the suite may read it). */
  database: { name: string; sessionsKilledBefore: number } | undefined;
}

const leaks = new ScenarioState<LeakMark[]>('no leaked connection', () => []);

/** Leaks on purpose (fault injection), the leak detector's settings, and taking back what is left. */

async function changeLeakSettings(client: ServiceClient, change: Partial<LeakSettings>): Promise<LeakReport> {
  const outcome = await client.configureLeaks(change);
  expect(outcome.status, `${client.service} PUT /admin/pool/leaks ${JSON.stringify(change)}: ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakReport;
}

/** Changes the leak settings for this scenario; the previous ones come back when it ends. */
export async function configureLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<void> {
  const client = world.testApi(service);
  const { settings: previous } = await client.leakReport();
  world.onCleanup(async () => {
    await changeLeakSettings(client, previous);
  });
  await changeLeakSettings(client, change);
}

/** Changes them now (already restored at the end by configureLeakDetection). */
export function changeLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<LeakReport> {
  return changeLeakSettings(world.testApi(service), change);
}

/**
 * Makes the service leak one connection through its fault-injection endpoint. Whatever the
 * scenario proves, the leak is taken back when it ends, so the next scenario starts clean.
 */
export async function leakConnection(world: PoolWorld, service: ServiceName, mode: 'held' | 'dropped'): Promise<LeakMark> {
  const client = world.testApi(service);
  world.onCleanup(() => takeBackLeaks(client));
  const { counters } = await client.poolSnapshot();
  const audit = world.audit;
  // PostgreSQL's count before the leak, for the database the service's connections are on.
  const databaseName = audit ? await audit.databaseOf(world.target(service).applicationName) : undefined;
  const sessionsKilledBefore = audit && databaseName ? await audit.sessionsKilledIn(databaseName) : undefined;
  const sentAt = Date.now();
  const outcome = await world.operations.start('leak', () => client.leak(mode)).result;
  const answeredAt = Date.now();
  expect(outcome.status, `POST /api/work/leak?mode=${mode} (needs FAULT_INJECTION=on): ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  const mark: LeakMark = {
    service,
    leak: outcome.body as LeakedConnection,
    sentAt,
    answeredAt,
    countersBefore: { leaksDetected: counters.leaksDetected ?? 0, leaksReclaimed: counters.leaksReclaimed ?? 0 },
    database: databaseName !== undefined && sessionsKilledBefore !== undefined ? { name: databaseName, sessionsKilledBefore } : undefined,
  };
  leaks.of(world).push(mark);
  return mark;
}

/** `count` connections taken by a buggy handler and never given back. */
export async function leakConnections(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await leakConnection(world, service, 'held');
}

/** The connection the scenario leaked last, from `service`. */
export function lastLeak(world: PoolWorld, service: ServiceName): LeakMark {
  const mark = leaks.of(world).findLast((m) => m.service === service);
  if (!mark) throw new Error(`no ${service} connection was leaked in this scenario`);
  return mark;
}

/**
 * How often the service's leak detector looks (its documented contract): every quarter of the
 * threshold, at least every second and at most every 100 ms. A leak is reported within one such
 * pass after it crosses the threshold.
 */
export function leakCheckEveryMs(thresholdSeconds: number): number {
  return Math.min(1000, Math.max(100, (thresholdSeconds * 1000) / 4));
}

/** PostgreSQL's count of terminated sessions now, in the database the leaked connection was on. */
export async function sessionsKilledNow(audit: DatabaseAudit, mark: LeakMark): Promise<number> {
  if (!mark.database) throw new Error(`the database of the ${mark.service}'s connections was not known when the leak was made (no audit connection, or no ${mark.service} connection open)`);
  return audit.sessionsKilledIn(mark.database.name);
}

export async function collectGarbage(client: ServiceClient): Promise<void> {
  const outcome = await client.collectGarbage();
  expect(outcome.status, `${client.service} POST /admin/gc (needs --expose-gc): ${JSON.stringify(outcome.body)}`).to.equal(200);
}

/** Reclaims whatever is still held once the scenario's requests are all answered, then restores the settings. */
async function takeBackLeaks(client: ServiceClient): Promise<void> {
  const { settings, held } = await client.leakReport();
  if (held.length === 0) return;
  await changeLeakSettings(client, { thresholdSeconds: 0.1, reclaim: true });
  try {
    await eventually(async () => expect((await client.leakReport()).held, `${client.service} connections still held`).to.deep.equal([]), { within: WAIT.settle });
  } finally {
    await changeLeakSettings(client, settings);
  }
}
