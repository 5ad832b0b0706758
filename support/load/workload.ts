import { expect } from 'chai';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';

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
