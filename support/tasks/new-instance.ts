import { ServiceClient } from '../clients/service-client';
import { ContractTarget } from '../targets/contract-target';
import type { ServiceTarget } from '../targets/service-target';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import type { ServiceProcess } from '../../testkit/service-process';
import type { PoolWorld } from '../world';

/** An instance a scenario started itself, beside the run's own services. */
export interface NewInstance {
  process: ServiceProcess;
  client: ServiceClient;
  /** The same instance, as the steps drive a service (its health, its requests). */
  target: ServiceTarget;
  startedInMs: number;
}

const instances = new ScenarioState<NewInstance>('no new service instance was started');

export function newInstanceOf(world: PoolWorld): NewInstance {
  return instances.of(world);
}

/**
 * Starts one more instance of the service, configured as the run's own (same database, role and
 * admin token), on a free port. Starting means announcing its URL: it must not wait for the database.
 */
export async function startNewInstance(world: PoolWorld, service: ServiceName): Promise<NewInstance> {
  const spawn = world.system.deployment.spawnService;
  if (!spawn) throw new Error('this deployment does not let the suite start service processes');
  const started = Date.now();
  const process = await spawn(service, {});
  world.onCleanup(() => process.stop());
  const client = new ServiceClient(service, process.url, world.system.deployment.adminToken);
  const instance = { process, client, target: new ContractTarget(service, client, world.shapeOf(service)), startedInMs: Date.now() - started };
  instances.set(world, instance);
  return instance;
}

/** SIGTERM (a graceful close); resolves once it has exited. */
export async function stopNewInstance(world: PoolWorld): Promise<NewInstance> {
  const instance = newInstanceOf(world);
  await instance.process.stop();
  return instance;
}
