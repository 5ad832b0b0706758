import { expect } from 'chai';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import { HUNG_STATEMENT, WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/**
 * Starts `count` operations that each hold one connection for `hold`, in the background, the way
 * the target holds connections (its hold endpoint, a lock from the database side, a sleeping SQL
 * function), and returns once the pool shows them holding (as many as its capacity allows).
 */
export async function holdConnections(world: PoolWorld, service: ServiceName, count: number, hold: Duration, label = 'holder'): Promise<void> {
  await world.target(service).hold(world.operations.forService(service), count, hold, label);
}

/** Statements that run far past any limit: the pool does not clear until something ends them. */
export async function startHungStatements(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  await holdConnections(world, service, count, HUNG_STATEMENT);
}

/**
 * `count` operations that each try to hold a connection for `hold`, one after another: each is
 * sent once the one before holds its connection or was refused. All at once, PostgreSQL's own
 * checks would race (a connection still starting counts against the limit even if it is then
 * refused), and fewer than the room could get through.
 */
export async function tryHoldingConnectionsOneByOne(world: PoolWorld, service: ServiceName, count: number, hold: Duration): Promise<void> {
  const client = world.testApi(service);
  for (let i = 0; i < count; i++) {
    const holder = world.operations.forService(service).start('holder', () => client.hold(hold));
    const holding = world.operations.labelled('holder').filter((op) => !op.outcome).length;
    await eventually(async () => {
      if (holder.outcome) return;
      expect((await client.poolSnapshot()).connections.active, `${service} connections held once holder ${i + 1} is served`).to.equal(holding);
    }, { within: WAIT.shortly, every: 20 });
  }
}
