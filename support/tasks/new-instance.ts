import type { Outcome } from '../clients/outcome';
import type { HealthReading } from '../targets/service-target';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import type { SpawnedInstance } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** An instance a scenario started itself, beside the run's own services. */
export interface NewInstance {
  service: ServiceName;
  instance: SpawnedInstance;
  startedInMs: number;
}

const instances = new ScenarioState<NewInstance>('no new service instance was started');

export function newInstanceOf(world: PoolWorld): NewInstance {
  return instances.of(world);
}

/**
 * Starts one more instance of the service, configured as the run's own (same database, role and
 * secrets), on a free port. Starting means answering its ready check: it must not wait for the database.
 */
export async function startNewInstance(world: PoolWorld, service: ServiceName): Promise<NewInstance> {
  const spawn = world.ability(service, 'spawnInstance');
  const started = Date.now();
  const instance = await spawn({});
  world.onCleanup(() => instance.stop());
  const record = { service, instance, startedInMs: Date.now() - started };
  instances.set(world, record);
  return record;
}

/** SIGTERM (a graceful close); resolves once it has exited. */
export async function stopNewInstance(world: PoolWorld): Promise<NewInstance> {
  const record = newInstanceOf(world);
  await record.instance.stop();
  return record;
}

/**
 * Asks the new instance's health check until it says healthy, then a database operation until it
 * succeeds, within `withinMs` each: how long healthy took, and the operation's last answer.
 */
export async function untilInstanceHealthy(world: PoolWorld, withinMs: number): Promise<{ health: HealthReading; healthyAfterMs: number; served: Outcome | undefined }> {
  const { service, instance } = newInstanceOf(world);
  const started = Date.now();
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() >= deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const health = await until(() => instance.health(), (reading) => reading.status === 'healthy');
  const healthyAfterMs = Date.now() - started;
  if (health.status !== 'healthy') return { health, healthyAfterMs, served: undefined };
  const served = await until(() => world.operations.forService(service).start('new instance', () => instance.sendRequest()).result, (outcome) => world.target(service).succeeded(outcome));
  return { health, healthyAfterMs, served };
}
