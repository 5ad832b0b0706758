import type { ServiceName } from '../system-under-test';
import type { ScenarioSettings } from '../targets/settings';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';
import { rememberServiceCounts } from './service-counts';

/** Waits until the service's pool holds nothing and nobody waits (where it says who waits). */
export async function untilDrained(world: PoolWorld, service: ServiceName): Promise<void> {
  const target = world.target(service);
  const deadline = Date.now() + WAIT.settle;
  for (;;) {
    const reading = await target.poolState();
    if ((reading.active ?? 0) === 0 && (reading.waiting ?? 0) === 0) return;
    if (Date.now() >= deadline) throw new Error(`the ${service} pool did not drain within ${WAIT.settle} ms: ${reading.active} connections in use, ${reading.waiting ?? 'unknown'} waiting`);
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
  }
}

/**
 * Gives a service settings for this scenario (its pool's shape, its leak, recovery or breaker
 * tuning) through its settings gate, and waits until they are in force: the service runs with them,
 * and (unless `drained: false`, for a change while a connection is still held) its pool is drained
 * and its counts are read again from there. What the service lacks is noted in the report: the
 * scenario runs with the service as it is.
 */
export async function changeSettings(world: PoolWorld, service: ServiceName, change: Partial<ScenarioSettings>, options: { drained?: boolean } = {}): Promise<void> {
  const target = world.target(service);
  for (const departure of target.change(change)) {
    world.noteEvidence(departure);
    process.stderr.write(`\nnote: ${departure}\n`);
  }
  await target.applySettings();
  if (options.drained === false) return;
  await untilDrained(world, service);
  await rememberServiceCounts(world, service);
}
