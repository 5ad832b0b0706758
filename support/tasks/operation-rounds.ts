import type { Outcome } from '../clients/outcome';
import { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolReading } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** What one round of operations left behind, once the pool settled (test case 4's drift check). */
export interface RoundFigures {
  service: ServiceName;
  round: number;
  /** Epoch ms: when the round's operations started and when the last was answered. */
  startedAt: number;
  answeredAt: number;
  /** The counts before the round: what "back to baseline" means. */
  baseline: { active: number; total: number };
  /** The round's operations, each with its answer. */
  outcomes: Array<{ label: string; outcome: Outcome }>;
  /**
   * How many connections the round's operations needed at once: its holders certainly (they hold
   * together), its failing ones perhaps too (they start together with them, but end at once).
   */
  demand: { least: number; most: number };
  /** The service's counts (each from the evidence `evidence` names; waiting and idle only where the target reports them). */
  active: number;
  waiting: number | undefined;
  total: number;
  idle: number | undefined;
  /** What the pool keeps open once idle (pool_size, or its one size where overflow is not its own), and its capacity. */
  poolSize: number;
  capacity: number;
  /** What pg_stat_activity says the service holds. */
  database: { total: number; busy: number };
  /** Counter growth over the round, where the target counts acquires and releases. */
  acquired: number | undefined;
  released: number | undefined;
  /**
   * The failing operations' part of the round, run first and never more at once than the pool keeps
   * open (so nothing there is overflow the pool may close): the service's server backends
   * (pg_stat_activity pids) before and after it, and what the pool counted opening, closing and
   * breaking meanwhile (where it counts them).
   */
  failures: { pidsBefore: number[]; pidsAfter: number[]; created: number | undefined; destroyed: number | undefined; connectionErrors: number | undefined };
  evidence: PoolReading['evidence'];
}

const rounds = new ScenarioState<RoundFigures[]>('no rounds of operations', () => []);

/** The rounds this scenario ran against `service`, in order. */
export function roundsOf(world: PoolWorld, service: ServiceName): RoundFigures[] {
  const ran = rounds.of(world).filter((r) => r.service === service);
  if (ran.length === 0) throw new Error(`no round of operations ran against the ${service} in this scenario`);
  return ran;
}

/** The round this scenario ran last, whichever service it was against. */
export function lastRound(world: PoolWorld): RoundFigures {
  const round = rounds.of(world).at(-1);
  if (!round) throw new Error('no round of operations ran in this scenario');
  return round;
}

/** How long each succeeding operation of a round holds its connection: long enough for the sampler to see the pool full. */
const ROUND_HOLD = Duration.ofMilliseconds(500);

/**
 * A pool that opens its connections lazily may hold none yet (round one, right after a restart):
 * its resting connections are opened first, so "the same server connections through the failures"
 * has connections to keep rather than passing on none.
 */
async function openRestingConnections(world: PoolWorld, service: ServiceName): Promise<void> {
  const target = world.target(service);
  const resting = (await target.poolState()).poolSize;
  if ((await world.requireAudit().pidsOf(target.applicationName)).length >= resting) return;
  await target.hold(world.operations.forService(service), resting, Duration.ofMilliseconds(300), 'warm-up');
  await world.operations.settled('warm-up');
}

/**
 * One round of test case 4: `count` operations, `failing` of them failing inside the database, the
 * rest holding their connection briefly (the target's way of holding). Waits for every answer, then
 * (up to the settle deadline) for the pool to go quiet, and records what it left behind — without
 * judging it.
 */
export async function runOperationRound(world: PoolWorld, service: ServiceName, count: number, failing: number): Promise<RoundFigures> {
  const target = world.target(service);
  const audit = world.requireAudit();
  const round = rounds.of(world).filter((r) => r.service === service).length + 1;
  await openRestingConnections(world, service);
  const before = await target.poolState();
  const startedAt = Date.now();
  const labels = ['failing operation', 'operation'];
  const earlier = new Set(labels.flatMap((label) => world.operations.labelled(label)));
  // The failing ones first (the target may not describe one, and nothing is held yet if so), at most
  // as many at once as the pool keeps open: a connection closed then is not overflow but one the
  // pool threw away instead of giving it back.
  const operations = world.operations.forService(service);
  const pidsBefore = await audit.pidsOf(target.applicationName);
  for (let sent = 0; sent < failing; ) {
    const batch = Math.min(failing - sent, Math.max(1, before.poolSize - (before.active ?? 0)));
    await Promise.all(Array.from({ length: batch }, () => operations.start('failing operation', () => target.sendFailingRequest()).result));
    sent += batch;
  }
  const afterFailures = await target.poolState();
  const failures = { pidsBefore, pidsAfter: await audit.pidsOf(target.applicationName), ...countedBetween(before, afterFailures) };
  await target.hold(operations, count - failing, ROUND_HOLD, 'operation');
  await world.operations.settled();
  const answeredAt = Date.now();
  const mine = labels.flatMap((label) => world.operations.labelled(label)).filter((op) => !earlier.has(op));
  world.timeline?.markPhase(`round ${round}: ${count} operations, ${failing} failing`, 'operations', startedAt, answeredAt);
  const quiet = async () => {
    const reading = await target.poolState();
    const database = await audit.connectionsOf(target.applicationName);
    const open = reading.open ?? database.total;
    return { reading, database, quiet: reading.active === before.active && (reading.waiting ?? 0) === 0 && database.busy === 0 && database.total === open };
  };
  const after = await eventually(async () => {
    const state = await quiet();
    if (!state.quiet) throw new Error('not quiet yet');
    return state;
  }, { within: WAIT.settle }).catch(() => quiet());
  const { reading } = after;
  const growth = (key: 'acquired' | 'released') => (reading[key] === undefined || before[key] === undefined ? undefined : reading[key]! - before[key]!);
  const figures: RoundFigures = {
    service,
    round,
    startedAt,
    answeredAt,
    baseline: { active: before.active ?? 0, total: before.open ?? 0 },
    outcomes: mine.map((op) => ({ label: op.label, outcome: op.outcome! })),
    demand: { least: count - failing, most: count },
    active: reading.active ?? 0,
    waiting: reading.waiting,
    total: reading.open ?? after.database.total,
    idle: reading.idle,
    // What the pool keeps open once idle: pool_size, or its one size where overflow is not its own.
    poolSize: reading.poolSize,
    capacity: reading.capacity,
    database: after.database,
    acquired: growth('acquired'),
    released: growth('released'),
    failures,
    evidence: reading.evidence,
  };
  rounds.of(world).push(figures);
  return figures;
}

/** What the pool counted opening, closing and breaking between two readings (where it counts them). */
function countedBetween(before: PoolReading, after: PoolReading): { created: number | undefined; destroyed: number | undefined; connectionErrors: number | undefined } {
  const change = (key: 'created' | 'destroyed' | 'errors') => (before[key] === undefined || after[key] === undefined ? undefined : after[key]! - before[key]!);
  return { created: change('created'), destroyed: change('destroyed'), connectionErrors: change('errors') };
}
