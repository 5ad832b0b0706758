import { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/** What one round of operations left behind, once the pool settled (test case 4's drift check). */
export interface RoundFigures {
  round: number;
  /** Epoch ms: when the round's operations started and when the last was answered. */
  startedAt: number;
  answeredAt: number;
  /** The counts before the round: what "back to baseline" means. */
  baseline: { active: number; total: number };
  /** The service's own counts. */
  active: number;
  waiting: number;
  total: number;
  poolSize: number;
  /** What pg_stat_activity says the service holds. */
  database: { total: number; busy: number };
  /** Counter growth over the round. */
  acquired: number;
  released: number;
}

const rounds = new ScenarioState<RoundFigures[]>('no rounds of operations', () => []);

/** The rounds this scenario ran, in order. */
export function roundsOf(world: PoolWorld): RoundFigures[] {
  return rounds.of(world);
}

/** How long each succeeding operation of a round holds its connection: long enough for the sampler to see the pool full. */
const ROUND_HOLD = Duration.ofMilliseconds(500);

/** Positions of `failing` operations spread evenly among `count`. */
function failingPositions(count: number, failing: number): Set<number> {
  if (!Number.isInteger(failing) || failing < 0 || failing > count) throw new Error(`${failing} failing of ${count} operations is not allowed`);
  return new Set(Array.from({ length: failing }, (_, k) => Math.floor(((k + 0.5) * count) / failing)));
}

/**
 * One round of test case 4: `count` operations at once, `failing` of them failing inside the
 * database, the rest holding their connection briefly. Waits for every answer, then (up to the
 * settle deadline) for the pool to go quiet, and records what it left behind — without judging it.
 */
export async function runOperationRound(world: PoolWorld, service: ServiceName, count: number, failing: number): Promise<RoundFigures> {
  const client = world.client(service);
  const audit = world.requireAudit();
  const round = roundsOf(world).length + 1;
  const before = await client.poolSnapshot();
  const failingAt = failingPositions(count, failing);
  const startedAt = Date.now();
  for (let i = 0; i < count; i++) {
    if (failingAt.has(i)) world.operations.start('failing operation', () => client.work('fail'));
    else world.operations.start('operation', () => client.hold(ROUND_HOLD));
  }
  await world.operations.settled();
  const answeredAt = Date.now();
  world.timeline?.markPhase(`round ${round}: ${count} operations, ${failing} failing`, 'operations', startedAt, answeredAt);
  const quiet = async () => {
    const snapshot = await client.poolSnapshot();
    const database = await audit.connectionsOf(service);
    const { active, waiting, total } = snapshot.connections;
    return { snapshot, database, quiet: active === before.connections.active && waiting === 0 && database.busy === 0 && database.total === total };
  };
  const after = await eventually(async () => {
    const state = await quiet();
    if (!state.quiet) throw new Error('not quiet yet');
    return state;
  }, { within: WAIT.settle }).catch(() => quiet());
  const { connections, counters } = after.snapshot;
  const figures: RoundFigures = {
    round,
    startedAt,
    answeredAt,
    baseline: { active: before.connections.active, total: before.connections.total },
    active: connections.active,
    waiting: connections.waiting,
    total: connections.total,
    poolSize: connections.poolSize,
    database: after.database,
    acquired: (counters.acquired ?? 0) - (before.counters.acquired ?? 0),
    released: (counters.released ?? 0) - (before.counters.released ?? 0),
  };
  roundsOf(world).push(figures);
  return figures;
}
