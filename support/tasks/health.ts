import type { HealthStatus, HealthTransition } from '../clients/contract';
import type { LivenessSample } from '../monitoring/liveness';
import type { ServiceName } from '../system-under-test';
import type { HealthReading } from '../targets/service-target';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/** Asks the service's health check until it says one of `words`, or `withinMs` has passed: answers the last reading. */
export async function untilHealth(world: PoolWorld, service: ServiceName, words: readonly HealthStatus[], withinMs: number): Promise<HealthReading> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const reading = await world.health(service);
    if ((reading.status && words.includes(reading.status)) || Date.now() >= deadline) return reading;
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
  }
}

/** Epoch ms the scenario sent its first request to `service`. */
function firstRequestAt(world: PoolWorld, service: ServiceName): number {
  const first = world.operations.all().find((op) => op.service === service);
  if (!first) throw new Error(`no request was sent to the ${service} in this scenario: there is no health change of its own to judge`);
  return first.startedAt;
}

/**
 * The service's health since the scenario's first request to it: its own transitions, where it keeps
 * them (abilities.healthHistory), or else the health checks the suite sampled every 250 ms (once the
 * next sample is in).
 */
export async function healthHistorySince(world: PoolWorld, service: ServiceName): Promise<({ transitions: HealthTransition[] } | { samples: LivenessSample[] }) & { since: number; evidence: string }> {
  const since = firstRequestAt(world, service);
  const history = world.target(service).abilities.healthHistory;
  if (history) return { transitions: await world.ability(service, 'healthHistory')(), since, evidence: "the service's own health transitions" };
  await world.health(service);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { samples: world.timeline!.liveness.samples, since, evidence: "the suite's own health checks, sampled every 250 ms" };
}
