import { expect } from 'chai';
import type { LeakReport, LeakedConnection } from '../clients/contract';
import { describeAnswer } from '../clients/outcome';
import type { DatabaseAudit } from '../clients/database-audit';
import { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';
import { changeSettings } from './settings';

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
  /** The service's counters before the leak (where it reports them). */
  countersBefore: { leaksDetected: number | undefined; leaksReclaimed: number | undefined };
  /** The database the leaked connection is on, and PostgreSQL's count of its terminated sessions before the leak (where the suite may read it). */
  database: { name: string; sessionsKilledBefore: number } | undefined;
}

const leaks = new ScenarioState<LeakMark[]>('no leaked connection', () => []);

/** The leak detector's tuning for this scenario (each scenario begins from the description's start-up settings again). */
export async function configureLeakDetection(world: PoolWorld, service: ServiceName, change: { threshold?: Duration; reclaim?: boolean; trace?: boolean }, options: { drained?: boolean } = {}): Promise<void> {
  await changeSettings(world, service, { leakThreshold: change.threshold, leakReclaim: change.reclaim, traceCheckouts: change.trace }, options);
}

/**
 * Makes the service leak one connection (its leak-on-command ability). Whatever the scenario
 * proves, the leak is taken back when it ends, so the next scenario starts clean.
 */
export async function leakConnection(world: PoolWorld, service: ServiceName, mode: 'held' | 'dropped'): Promise<LeakMark> {
  const leak = world.ability(service, 'leakOnCommand');
  world.onCleanup(() => takeBackLeaks(world, service));
  const before = await world.target(service).poolState();
  const audit = world.audit;
  // PostgreSQL's count before the leak, for the database the service's connections are on.
  const databaseName = world.target(service).database.name;
  const sessionsKilledBefore = audit ? await audit.sessionsKilledIn(databaseName) : undefined;
  const sentAt = Date.now();
  const outcome = await world.operations.forService(service).start('leak', () => leak(mode)).result;
  const answeredAt = Date.now();
  expect(outcome.status, `the leak on command (mode ${mode}): ${describeAnswer(outcome)}`).to.equal(200);
  const mark: LeakMark = {
    service,
    leak: outcome.body as LeakedConnection,
    sentAt,
    answeredAt,
    countersBefore: { leaksDetected: before.leaksDetected, leaksReclaimed: before.leaksReclaimed },
    database: sessionsKilledBefore !== undefined ? { name: databaseName, sessionsKilledBefore } : undefined,
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
 * How often the service's leak detector looks (the leak report ability's documented contract):
 * every quarter of the threshold, at least every second and at most every 100 ms. A leak is reported
 * within one such pass after it crosses the threshold.
 */
export function leakCheckEveryMs(thresholdSeconds: number): number {
  return Math.min(1000, Math.max(100, (thresholdSeconds * 1000) / 4));
}

/** PostgreSQL's count of terminated sessions now, in the database the leaked connection was on. */
export async function sessionsKilledNow(audit: DatabaseAudit, mark: LeakMark): Promise<number> {
  if (!mark.database) throw new Error(`the database of the ${mark.service}'s connections was not read when the leak was made (no audit connection)`);
  return audit.sessionsKilledIn(mark.database.name);
}

/** A full garbage collection in the service (its ability). */
export async function collectGarbage(world: PoolWorld, service: ServiceName): Promise<void> {
  const outcome = await world.ability(service, 'collectGarbage')();
  expect(outcome.status, `${service} garbage collection: ${describeAnswer(outcome)}`).to.equal(200);
}

/** Reclaims whatever is still held once the scenario's requests are all answered (the next scenario's settings come from its start). */
async function takeBackLeaks(world: PoolWorld, service: ServiceName): Promise<void> {
  const report = world.target(service).abilities.leakReport;
  if (report && (await report()).held.length === 0) return;
  const target = world.target(service);
  target.change({ leakThreshold: Duration.ofMilliseconds(100), leakReclaim: true });
  await target.applySettings();
  const deadline = Date.now() + WAIT.settle;
  while (report && (await report()).held.length > 0) {
    if (Date.now() >= deadline) throw new Error(`${service} connections still held after reclaiming the scenario's leaks`);
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
  }
}

/**
 * The service's leak report, polled until `find` finds the leak's event there (within the settle
 * time; the last report stands otherwise), with the detector's settings and how often it looks.
 */
export async function leakEventOf<T>(world: PoolWorld, service: ServiceName, _mark: LeakMark, find: (report: LeakReport) => T): Promise<{ event: T; report: LeakReport; settings: LeakReport['settings'] & { checkEveryMs: number } }> {
  const read = world.ability(service, 'leakReport');
  const event = await eventually(async () => find(await read()), { within: WAIT.settle });
  const report = await read();
  return { event, report, settings: { ...report.settings, checkEveryMs: leakCheckEveryMs(report.settings.thresholdSeconds) } };
}
