import { Duration } from '../duration';
import { describeAnswer } from '../clients/outcome';
import { NotOffered } from '../targets/not-offered';
import { untilHealth } from './health';
import { runClosedLoop, type LoadResult } from '../load/generator';
import type { LoadProfile } from '../load/profiles';
import { capacityOf } from '../pool-shape';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import type { PoolReading } from '../targets/service-target';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/** One load run against a service, with the service's pool readings around it. */
export interface LoadRun extends LoadResult {
  service: string;
  before: PoolReading;
  after: PoolReading;
}

const loads = new ScenarioState<LoadRun[]>('no load', () => []);

/** What the feature says about its load, before it runs: how long each request holds its connection. */
const holds = new ScenarioState<{ hold: Duration }>('no hold time per request stated (e.g. "every request of the load holds its connection for 200 milliseconds")');

export function holdEachRequestFor(world: PoolWorld, hold: Duration): void {
  if (!(hold.ms > 0)) throw new Error(`a hold of ${hold.ms} ms per request is not allowed: expected more than 0`);
  holds.set(world, { hold });
}

/** How long each request of this scenario's load holds its connection, as the feature says. */
export function holdPerRequest(world: PoolWorld): Duration {
  return holds.of(world).hold;
}

/**
 * The uptime a service promises under load (the plan's 99.9%), as a feature states it: the share of
 * liveness probes it must answer. Judged by a step over the load, and over the whole scenario after it.
 */
const uptime = new ScenarioState<Map<string, number>>('no uptime promise', () => new Map());

export function promiseUptime(world: PoolWorld, service: ServiceName, percent: number): void {
  if (!(percent > 0 && percent <= 100)) throw new Error(`an uptime of ${percent}% is not allowed: expected more than 0 and at most 100`);
  uptime.of(world).set(service, percent / 100);
}

/** The share of liveness probes `service` must answer in this scenario; undefined when the scenario states none. */
export function uptimePromiseOf(world: PoolWorld, service: string): number | undefined {
  return uptime.of(world).get(service);
}

/** The load runs of this scenario, in order (the report charts each). */
export function loadsOf(world: PoolWorld): LoadRun[] {
  return loads.of(world);
}

/** The scenario's last load; with `service`, its last load against that service. */
export function lastLoad(world: PoolWorld, service?: ServiceName): LoadRun {
  const load = loadsOf(world).findLast((run) => service === undefined || run.service === service);
  if (!load) throw new Error(`no load was generated${service ? ` against the ${service}` : ''} in this scenario`);
  return load;
}

/**
 * Runs a closed-loop load against the service's hold endpoint (each request holds one connection
 * for the profile's hold time), marks its phases on the timeline, and records the run.
 */
export async function generateLoad(world: PoolWorld, service: ServiceName, profile: LoadProfile): Promise<LoadRun> {
  // The other services' health is judged throughout the load: pressure an earlier scenario left
  // (a login storm's refusals, in the health window) must age out before it starts.
  for (const other of world.services.filter((s) => s !== service)) {
    const health = await untilHealth(world, other, ['healthy'], WAIT.settle).catch((error: unknown) => {
      if (error instanceof NotOffered) return undefined;
      throw error;
    });
    if (health && health.status !== 'healthy') throw new Error(`the ${other} was not healthy before the load (${describeAnswer(health.answer)}): its health is judged throughout the load`);
  }
  const target = world.target(service);
  const request = await target.holdingRequest(Duration.ofSeconds(profile.holdSeconds));
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
  return capacityOf(world.settingsOf(service));
}

/** A load phase as long as the plan says, or scaled (the quick profile). */
export function scaled(world: PoolWorld, duration: Duration): Duration {
  return duration.times(world.parameters.loadTimeScale);
}
