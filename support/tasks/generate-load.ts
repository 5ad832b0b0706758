import { Duration } from '../duration';
import { runClosedLoop, type LoadResult } from '../load/generator';
import type { LoadProfile } from '../load/profiles';
import { capacityOf } from '../pool-shape';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import type { PoolReading } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** One load run against a service, with the service's pool readings around it. */
export interface LoadRun extends LoadResult {
  service: string;
  before: PoolReading;
  after: PoolReading;
}

const loads = new ScenarioState<LoadRun[]>('no load', () => []);

/** The load runs of this scenario, in order (the report charts each). */
export function loadsOf(world: PoolWorld): LoadRun[] {
  return loads.of(world);
}

export function lastLoad(world: PoolWorld): LoadRun {
  const load = loadsOf(world).at(-1);
  if (!load) throw new Error('no load was generated in this scenario');
  return load;
}

/**
 * Runs a closed-loop load against the service's hold endpoint (each request holds one connection
 * for the profile's hold time), marks its phases on the timeline, and records the run.
 */
export async function generateLoad(world: PoolWorld, service: ServiceName, profile: LoadProfile): Promise<LoadRun> {
  const target = world.target(service);
  const request = target.holdingRequest(Duration.ofSeconds(profile.holdSeconds));
  const before = await target.poolState();
  const result = await runClosedLoop({ baseUrl: target.url, ...request }, profile);
  const after = await target.poolState();
  for (const segment of result.profile.segments) {
    world.timeline?.markPhase(segment.name, segment.kind, result.startedAt + segment.fromMs, result.startedAt + segment.toMs);
  }
  const run: LoadRun = { service, ...result, before, after };
  loadsOf(world).push(run);
  return run;
}

/** The service's pool capacity as this scenario shaped it (pool_size + max_overflow). */
export function poolCapacity(world: PoolWorld, service: ServiceName): number {
  return capacityOf(world.shapeOf(service));
}

/** A load phase as long as the plan says, or scaled (the quick profile). */
export function scaled(world: PoolWorld, duration: Duration): Duration {
  return duration.times(world.parameters.loadTimeScale);
}
