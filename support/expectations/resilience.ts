import { expect } from 'chai';
import { ConnectionSlotFiller } from '../clients/connection-slot-filler';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { PerScenario } from '../per-scenario';
import { expectBackpressure } from './backpressure';

/** Two callers, each sending its next quick request as soon as the last one is answered: bounded load on 127.0.0.1. */
const QUICK_CALLERS = 2;
/** Quick requests answered before the kill: the load is really under way when it strikes. */
const ANSWERED_BEFORE_KILL = 4;
/** The most a recovery from a kill may take on a busy 2-core machine (health re-assessed, connections re-opened). */
export const KILL_RECOVERY_LIMIT_MS = WAIT.settle;

export interface KillFigures {
  service: ServiceName;
  /** Server connections PostgreSQL terminated (checked-out and idle). */
  terminated: number;
  killedAt: string;
  /** From the kill to the first quick request sent after it that succeeded. */
  servingAgainMs: number;
  /**
   * From the kill to the first /health answer that said healthy, if one came before the service
   * served again (a connection a buggy handler still holds keeps health at warning until reclaimed).
   */
  healthyAgainMs: number | null;
  /** /health answers seen while the fault lasted, by HTTP status (0: no answer). */
  healthAnswers: Record<string, number>;
  /** Every request of the scenario, by HTTP status. */
  answers: Record<string, number>;
}

/** /health answers to collect after the kill before survival is judged (about a second's worth). */
const MIN_HEALTH_SAMPLES = 10;

/** What the kill scenario measured. */
const kills = new PerScenario<KillFigures>('no connections were terminated');

export function killOf(world: PoolWorld): KillFigures {
  return kills.of(world);
}

/**
 * While quick requests keep coming (and whatever holders the scenario started hold their
 * connections), PostgreSQL terminates every server connection of the service. The quick load and
 * a /health watch go on until the service serves a request sent after the kill and says healthy,
 * or the recovery limit passes; every request stays tracked, so the After hook waits for each.
 */
export async function terminateConnectionsUnderLoad(world: PoolWorld, service: ServiceName): Promise<KillFigures> {
  const client = world.client(service);
  const audit = world.requireAudit();
  let stopped = false;
  const callers = Array.from({ length: QUICK_CALLERS }, async () => {
    while (!stopped) await world.operations.start('quick', () => client.work('fast')).result;
  });
  try {
    await eventually(() => {
      expect(world.operations.labelled('quick').filter((op) => op.outcome).length, 'quick requests answered before the kill').to.be.at.least(ANSWERED_BEFORE_KILL);
    });
    const killedAt = Date.now();
    const terminated = await audit.terminateConnectionsOf(service);
    world.timeline?.markPhase(`pg_terminate_backend of ${terminated} ${service} connections`, 'fault', killedAt, killedAt + 1);
    const healthAnswers: Record<string, number> = {};
    let healthyAt: number | undefined;
    let servingAt: number | undefined;
    await eventually(async () => {
      const health = await client.health();
      healthAnswers[health.status] = (healthAnswers[health.status] ?? 0) + 1;
      if (healthyAt === undefined && health.status === 200 && health.body.poolStatus === 'healthy') healthyAt = health.finishedAt;
      const served = world.operations.labelled('quick').find((op) => op.startedAt > killedAt && op.outcome?.status === 200);
      if (servingAt === undefined && served) servingAt = served.outcome!.finishedAt;
      const healthSamples = Object.values(healthAnswers).reduce((sum, n) => sum + n, 0);
      // Survival needs evidence: the service serves again, and its health check was asked (and counted) throughout.
      expect(servingAt !== undefined && healthSamples >= MIN_HEALTH_SAMPLES, `${service} serving again after the kill`).to.equal(true);
    }, { within: KILL_RECOVERY_LIMIT_MS, every: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}; /health answers since the kill by status: ${JSON.stringify(healthAnswers)}`);
    });
    const figures: KillFigures = {
      service,
      terminated,
      killedAt: new Date(killedAt).toISOString(),
      servingAgainMs: servingAt! - killedAt,
      healthyAgainMs: healthyAt === undefined ? null : healthyAt - killedAt,
      healthAnswers,
      answers: {},
    };
    kills.set(world, figures);
    return figures;
  } finally {
    stopped = true;
    await Promise.all(callers);
  }
}

/** The process lived through the fault: /health answered every time it was asked, and the service answers now. */
export async function expectSurvived(world: PoolWorld, service: ServiceName): Promise<void> {
  const { healthAnswers } = killOf(world);
  expect(healthAnswers['0'] ?? 0, `${service} /health left unanswered after the kill: ${JSON.stringify(healthAnswers)}`).to.equal(0);
  const health = await world.client(service).health();
  expect(health.status, `${service} /health now: ${describeOutcome(health)}`).to.be.oneOf([200, 503]);
}

/** Every connection the kill hit was one the service held: all the checked-out ones at least. */
export function expectTerminatedAtLeast(world: PoolWorld, count: number): void {
  expect(killOf(world).terminated, 'server connections terminated').to.be.at.least(count);
}

/** Counts every answer of the scenario by status and adds them to the figures. */
export async function countAnswers(world: PoolWorld): Promise<KillFigures> {
  const figures = killOf(world);
  figures.answers = countByStatus(await world.operations.settled());
  return figures;
}

/** The role the service's connections log in as: `<DB_PREFIX><service>`. */
export function roleOf(world: PoolWorld, service: ServiceName): string {
  return `${world.system.settings.dbPrefix}${service}`;
}

/**
 * The room a database-side limit leaves the pool, per World: how many connections it may still
 * open, what the limit is, and how PostgreSQL words its refusal.
 */
interface ConnectionRoom {
  room: number;
  limit: string;
  reason: RegExp;
}
const rooms = new PerScenario<ConnectionRoom>('no database-side connection limit was set');

/**
 * Ends the connections the pool already holds, so that each connection it needs from now on must
 * get past the database's limits.
 */
async function endPoolConnections(world: PoolWorld, service: ServiceName): Promise<void> {
  const audit = world.requireAudit();
  await audit.terminateConnectionsOf(service);
  await eventually(async () => {
    expect((await audit.connectionsOf(service)).total, `${service} pool connections left after ending them`).to.equal(0);
    expect((await world.client(service).poolSnapshot()).connections.total, `${service} pool's own count of open connections`).to.equal(0);
  }, { within: WAIT.settle });
}

/**
 * Lowers the service role's CONNECTION LIMIT for this scenario, the original limit read first and
 * put back in a cleanup whatever happens; then ends the pool's connections. The role's other
 * connections (the health probe's, the admin API's) are counted: the pool gets what the limit leaves.
 */
export async function limitRoleConnections(world: PoolWorld, service: ServiceName, limit: number): Promise<void> {
  const audit = world.requireAudit();
  const role = roleOf(world, service);
  const original = await audit.connectionLimitOf(role);
  world.onCleanup(() => audit.setConnectionLimit(role, original));
  await audit.setConnectionLimit(role, limit);
  await endPoolConnections(world, service);
  const heldElsewhere = (await audit.rolesOf(service)).find((r) => r.role === role)?.connections ?? 0;
  expect(heldElsewhere, `${role} connections outside the pool, against the limit of ${limit}`).to.be.below(limit);
  rooms.set(world, { room: limit - heldElsewhere, limit: `${role} CONNECTION LIMIT ${limit}, ${heldElsewhere} held outside the pool`, reason: /too many connections for role/i });
}

/**
 * Other clients take all but `room` of the connection slots the server gives ordinary roles
 * (max_connections less the slots kept for superusers), after the pool's own connections were
 * ended: the pool may open `room` more. The filler's connections are closed when the scenario ends.
 */
export async function fillServerConnectionSlots(world: PoolWorld, service: ServiceName, room: number): Promise<void> {
  const audit = world.requireAudit();
  await endPoolConnections(world, service);
  const before = await audit.connectionSlots();
  const toFill = before.maxConnections - before.reserved - before.inUse - room;
  expect(toFill, `connections to fill, of ${JSON.stringify(before)}`).to.be.above(0);
  const filler = await ConnectionSlotFiller.fill(world.system.deployment.auditDatabaseUrl!, toFill);
  world.onCleanup(() => filler.release());
  const after = await audit.connectionSlots();
  const left = after.maxConnections - after.reserved - after.inUse;
  expect(left, `slots left for ordinary roles after other clients took ${filler.held}: ${JSON.stringify(after)}`).to.equal(room);
  rooms.set(world, { room, limit: `max_connections ${after.maxConnections}, ${after.reserved} kept for superusers, ${after.inUse} in use`, reason: /too many clients|remaining connection slots are reserved/i });
}

/**
 * `count` operations that each try to hold a connection for `holdMs`, one after another: each is
 * sent once the one before holds its connection or was refused. All at once, PostgreSQL's own
 * checks would race (a connection still starting counts against the limit even if it is then
 * refused), and fewer than the room could get through.
 */
export async function tryHoldingConnectionsOneByOne(world: PoolWorld, service: ServiceName, count: number, holdMs: number): Promise<void> {
  const client = world.client(service);
  for (let i = 0; i < count; i++) {
    const holder = world.operations.start('holder', () => client.hold(holdMs / 1000));
    const holding = world.operations.labelled('holder').filter((op) => !op.outcome).length;
    await eventually(async () => {
      if (holder.outcome) return;
      expect((await client.poolSnapshot()).connections.active, `${service} connections held once holder ${i + 1} is served`).to.equal(holding);
    }, { within: WAIT.shortly, every: 20 });
  }
}

/**
 * Of the holders, as many as the database's limit leaves room for succeeded; the rest were refused
 * with 503, Retry-After and the database's own reason; none got a 500 or no answer.
 */
export async function expectRefusalsBeyondRoom(world: PoolWorld): Promise<{ room: number; limit: string; byStatus: Record<string, number> }> {
  const set = rooms.of(world);
  const outcomes: Outcome[] = await world.operations.settled('holder');
  const byStatus = countByStatus(outcomes);
  const described = outcomes.map((o) => `${describeOutcome(o)} ${JSON.stringify(o.body)}`).join('\n');
  expect(set.room, 'room the limit leaves the pool, below the number of operations').to.be.below(outcomes.length);
  expect(byStatus, `holders by status, under ${set.limit}:\n${described}`).to.deep.equal({ 200: set.room, 503: outcomes.length - set.room });
  for (const outcome of outcomes.filter((o) => o.status === 503)) {
    const problem = expectBackpressure(outcome, 503);
    expect(problem.detail, 'the refusal names the database\'s reason').to.match(set.reason);
  }
  return { room: set.room, limit: set.limit, byStatus };
}
