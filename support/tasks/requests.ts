import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import { eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import { required } from '../targets/not-offered';
import type { PoolWorld } from '../world';

/**
 * Requests that need a database connection (the target's own: a short query), sent in the
 * background and tracked (the After hook waits for each).
 */

/** `count` requests at once. */
export function startQuickRequests(world: PoolWorld, service: ServiceName, count: number, label: string): void {
  const target = world.target(service);
  const operations = world.operations.forService(service);
  for (let i = 0; i < count; i++) operations.start(label, () => target.sendRequest());
}

/** One more request that needs a connection. */
export function startExtraRequest(world: PoolWorld, service: ServiceName): void {
  startQuickRequests(world, service, 1, 'extra');
}

/** One request, tracked like every other, answered before this returns. */
export function trackedRequest(world: PoolWorld, service: ServiceName, label: string): Promise<Outcome> {
  const target = world.target(service);
  return world.operations.forService(service).start(label, () => target.sendRequest()).result;
}

/** The number of requests waiting for a connection, as the service counts them. */
async function waitingNow(world: PoolWorld, service: ServiceName): Promise<number> {
  const reading = await world.target(service).poolState();
  return required(reading.waiting, 'the number of requests waiting for a connection', `${world.target(service).label} does not report it (pg_stat_activity cannot see a request that has no connection yet)`);
}

/**
 * `count` requests sent one at a time, each only once the pool counts the previous one as waiting:
 * their arrival order is then known from the service's own count, not from luck.
 */
export async function queueOneAfterAnother(world: PoolWorld, service: ServiceName, count: number, label: string): Promise<void> {
  const target = world.target(service);
  const waitingBefore = await waitingNow(world, service);
  for (let i = 1; i <= count; i++) {
    world.operations.forService(service).start(label, () => target.sendRequest());
    await eventually(async () => {
      expect(await waitingNow(world, service), `${service} requests waiting after sending queued request ${i}`).to.equal(waitingBefore + i);
    });
  }
}

/** `count` more requests that need a connection, started in the background; returns once they wait. */
export async function queueRequests(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  const waitingBefore = await waitingNow(world, service);
  startQuickRequests(world, service, count, 'waiting');
  await eventually(async () => {
    expect(await waitingNow(world, service), `${service} requests waiting`).to.be.at.least(waitingBefore + count);
  });
}
