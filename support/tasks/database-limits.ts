import { expect } from 'chai';
import { ConnectionSlotFiller } from '../clients/connection-slot-filler';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';


/**
 * The room a database-side limit leaves the pool, per World: how many connections it may still
 * open, what the limit is, and how PostgreSQL words its refusal.
 */
export interface ConnectionRoom {
  room: number;
  limit: string;
  reason: RegExp;
}
const rooms = new ScenarioState<ConnectionRoom>('no database-side connection limit was set');

/**
 * Ends the connections the pool already holds, so that each connection it needs from now on must
 * get past the database's limits.
 */
async function endPoolConnections(world: PoolWorld, service: ServiceName): Promise<void> {
  const audit = world.requireAudit();
  const target = world.target(service);
  await audit.terminateConnectionsOf(target.applicationName);
  await eventually(async () => {
    expect((await audit.connectionsOf(target.applicationName)).total, `${service} pool connections left after ending them`).to.equal(0);
    // Where the service counts its open connections itself, it must have noticed they are gone.
    const { open, evidence } = await target.poolState();
    if (evidence.open !== 'pg_stat_activity' && open !== undefined) expect(open, `${service} pool's own count of open connections`).to.equal(0);
  }, { within: WAIT.settle });
}

/**
 * Lowers the service role's CONNECTION LIMIT for this scenario, the original limit read first and
 * put back in a cleanup whatever happens; then ends the pool's connections. The role's other
 * connections (the health probe's, the admin API's) are counted: the pool gets what the limit leaves.
 */
export async function limitRoleConnections(world: PoolWorld, service: ServiceName, limit: number): Promise<void> {
  const audit = world.requireAudit();
  const { role } = world.target(service).database;
  const original = await audit.connectionLimitOf(role);
  world.onCleanup(() => audit.setConnectionLimit(role, original));
  await audit.setConnectionLimit(role, limit);
  await endPoolConnections(world, service);
  // What the role still holds once the pool's connections are gone: its other connections (a health probe's, an admin API's).
  const heldElsewhere = await audit.connectionsOfRole(role);
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
  const filler = await ConnectionSlotFiller.fill(world.system.auditDatabaseUrl!, toFill);
  world.onCleanup(() => filler.release());
  const after = await audit.connectionSlots();
  const left = after.maxConnections - after.reserved - after.inUse;
  expect(left, `slots left for ordinary roles after other clients took ${filler.held}: ${JSON.stringify(after)}`).to.equal(room);
  rooms.set(world, { room, limit: `max_connections ${after.maxConnections}, ${after.reserved} kept for superusers, ${after.inUse} in use`, reason: /too many clients|remaining connection slots are reserved/i });
}

/** The room the scenario's database-side limit left the pool. */
export function roomOf(world: PoolWorld): ConnectionRoom {
  return rooms.of(world);
}
