import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import { eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';

/**
 * Requests that need a database connection, sent in the background and tracked (the After hook
 * waits for each): a quick operation is one short query.
 */

/** `count` quick requests at once. */
export function startQuickRequests(world: PoolWorld, service: ServiceName, count: number, label: string): void {
  const client = world.client(service);
  for (let i = 0; i < count; i++) world.operations.start(label, () => client.work('fast'));
}

/** One more request that needs a connection. */
export function startExtraRequest(world: PoolWorld, service: ServiceName): void {
  startQuickRequests(world, service, 1, 'extra');
}

/** One request, tracked like every other, answered before this returns. */
export function trackedRequest(world: PoolWorld, service: ServiceName, label: string): Promise<Outcome> {
  const client = world.client(service);
  return world.operations.start(label, () => client.work('fast')).result;
}

/**
 * `count` quick requests sent one at a time, each only once the pool counts the previous one as
 * waiting: their arrival order is then known from the service's own count, not from luck.
 */
export async function queueOneAfterAnother(world: PoolWorld, service: ServiceName, count: number, label: string): Promise<void> {
  const client = world.client(service);
  const waitingBefore = (await client.poolSnapshot()).connections.waiting;
  for (let i = 1; i <= count; i++) {
    world.operations.start(label, () => client.work('fast'));
    await eventually(async () => {
      const { connections } = await client.poolSnapshot();
      expect(connections.waiting, `${service} requests waiting after sending queued request ${i}`).to.equal(waitingBefore + i);
    });
  }
}

/** `count` more requests that need a connection, started in the background; returns once they wait. */
export async function queueRequests(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  const client = world.client(service);
  const waitingBefore = (await client.poolSnapshot()).connections.waiting;
  startQuickRequests(world, service, count, 'waiting');
  await eventually(async () => {
    expect((await client.poolSnapshot()).connections.waiting, `${service} requests waiting`).to.be.at.least(waitingBefore + count);
  });
}
