import type { Outcome } from '../clients/outcome';
import type { ServiceName } from '../system-under-test';
import { NotOffered } from '../targets/not-offered';
import type { HealthReading } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** Every request of the scenario sent to `service` (and any that named none), once each has its answer. */
export async function answersOf(world: PoolWorld, service: ServiceName): Promise<Array<{ label: string; outcome: Outcome }>> {
  await world.operations.settled();
  return world.operations.all().filter((op) => op.service === undefined || op.service === service).map((op) => ({ label: op.label, outcome: op.outcome! }));
}

/** The service's health check now, or undefined where it has none. */
export async function healthIfAny(world: PoolWorld, service: ServiceName): Promise<HealthReading | undefined> {
  return world.health(service).catch((error: unknown) => {
    if (error instanceof NotOffered) return undefined;
    throw error;
  });
}
