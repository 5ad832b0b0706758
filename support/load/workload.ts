import { expect } from 'chai';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import type { LoadRun, RoundFigures } from './evidence';
import { runClosedLoop } from './generator';
import type { LoadProfile } from './profiles';

/**
 * Starts `count` operations that each hold one connection for `holdMs`, in the background, and
 * returns once the pool shows them holding (as many as its capacity allows).
 */
export async function holdConnections(world: PoolWorld, service: ServiceName, count: number, holdMs: number): Promise<void> {
  const client = world.client(service);
  for (let i = 0; i < count; i++) world.operations.start('holder', () => client.hold(holdMs / 1000));
  const capacity = (await client.poolSnapshot()).connections.capacity;
  const expected = Math.min(count, capacity);
  await eventually(async () => {
    const { connections } = await client.poolSnapshot();
    expect(connections.active, `${service} connections held by the operations`).to.be.at.least(expected);
  }, { within: Math.min(holdMs, WAIT.shortly) });
}

/** One more request that needs a connection, started in the background. */
export function startExtraRequest(world: PoolWorld, service: ServiceName): void {
  const client = world.client(service);
  world.operations.start('extra', () => client.work('fast'));
}

/** How long each succeeding operation of a round holds its connection: long enough for the sampler to see the pool full. */
const ROUND_HOLD_SECONDS = 0.5;

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
  const round = world.evidence.rounds.length + 1;
  const before = await client.poolSnapshot();
  const failingAt = failingPositions(count, failing);
  const startedAt = Date.now();
  for (let i = 0; i < count; i++) {
    if (failingAt.has(i)) world.operations.start('failing operation', () => client.work('fail'));
    else world.operations.start('operation', () => client.hold(ROUND_HOLD_SECONDS));
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
  world.evidence.rounds.push(figures);
  return figures;
}

/**
 * Runs a closed-loop load against the service's hold endpoint (each request holds one connection
 * for the profile's hold time), marks its phases on the timeline, and records the run.
 */
export async function generateLoad(world: PoolWorld, service: ServiceName, profile: LoadProfile): Promise<LoadRun> {
  const client = world.client(service);
  const before = await client.poolSnapshot();
  const result = await runClosedLoop({ baseUrl: client.baseUrl, path: `/api/work/hold?seconds=${profile.holdSeconds}` }, profile);
  const after = await client.poolSnapshot();
  for (const segment of result.profile.segments) {
    world.timeline?.markPhase(segment.name, segment.kind, result.startedAt + segment.fromMs, result.startedAt + segment.toMs);
  }
  const run: LoadRun = { service, ...result, countersBefore: before.counters, countersAfter: after.counters };
  world.evidence.loads.push(run);
  return run;
}

/** The service's pool capacity as this scenario configured it (pool_size + max_overflow). */
export function capacityOf(world: PoolWorld, service: ServiceName): number {
  const limits = world.limits[service];
  if (!limits) throw new Error(`the ${service} pool was not configured in this scenario`);
  return limits.poolSize + limits.maxOverflow;
}
