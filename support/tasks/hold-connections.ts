import type { Duration } from '../duration';
import type { ServiceName } from '../system-under-test';
import { ScenarioState } from '../scenario-state';
import { NotOffered } from '../targets/not-offered';
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

/** How far apart the staggered holds of the scenario give their connections back. */
const staggers = new ScenarioState<{ step: Duration }>('no staggered holds');

export function staggerOf(world: PoolWorld): Duration {
  return staggers.of(world).step;
}

/** Polls until `done`, or fails after `withinMs` with `why`. */
async function until(done: () => Promise<boolean>, withinMs: number, why: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() >= deadline) throw new Error(await why());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `count` operations that hold a connection each and give them back one at a time: the first for
 * `first`, each next one `step` longer. Returns once all hold. A service held only by a lock from the
 * database side frees every connection at once: NotOffered.
 */
export async function holdStaggered(world: PoolWorld, service: ServiceName, count: number, first: Duration, step: Duration): Promise<void> {
  const target = world.target(service);
  staggers.set(world, { step });
  if (target.holdKind === 'database-lock') throw new NotOffered('connections held for different lengths of time', `${target.label} is held only by a lock from the database side, which frees every connection at once`);
  const operations = world.operations.forService(service);
  for (let i = 0; i < count; i++) await target.startHold(operations, first.plus(step.times(i)), 'holder');
  await until(async () => (await target.heldNow()) >= count, WAIT.shortly, async () => `${count} staggered holds sent, but ${await target.heldNow()} connections are held`);
}

/**
 * `count` operations that each try to hold a connection for `hold`, one after another: each is
 * sent once the one before holds its connection or was refused. All at once, PostgreSQL's own
 * checks would race (a connection still starting counts against the limit even if it is then
 * refused), and fewer than the room could get through.
 */
export async function tryHoldingConnectionsOneByOne(world: PoolWorld, service: ServiceName, count: number, hold: Duration): Promise<void> {
  const target = world.target(service);
  const operations = world.operations.forService(service);
  for (let i = 0; i < count; i++) {
    const holder = await target.startHold(operations, hold, 'holder');
    const holding = world.operations.labelled('holder').filter((op) => !op.outcome).length;
    await until(async () => holder.outcome !== undefined || (await target.heldNow()) === holding, WAIT.shortly, async () => `${service} connections held once holder ${i + 1} is served: ${await target.heldNow()}, expected ${holding}`);
  }
}


/** Whether every operation the scenario sent to `service` is still unanswered (every holder still holds). */
export function holdersStillHold(world: PoolWorld, service: ServiceName): () => boolean {
  return () => world.operations.all().every((op) => op.service !== service || !op.outcome);
}
