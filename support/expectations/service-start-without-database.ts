import { expect } from 'chai';
import { describeOutcome } from '../clients/outcome';
import { ServiceClient } from '../clients/service-client';
import type { ServiceProcess } from '../environment/service-process';
import { WAIT, eventually } from '../eventually';
import { auditConnections } from '../leak-audit';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { expectBackpressure } from './backpressure';
import { expectHealth } from './health';
import { PerScenario } from '../per-scenario';

/** The instance a scenario started itself, beside the run's own services. */
interface NewInstance {
  process: ServiceProcess;
  client: ServiceClient;
  startedInMs: number;
}

const instances = new PerScenario<NewInstance>('no new service instance was started');

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
  const instance = { process, client: new ServiceClient(service, process.url, world.system.deployment.adminToken), startedInMs: Date.now() - started };
  instances.set(world, instance);
  return instance;
}

/** The new instance is up, says critical, and refuses work at once with 503, Retry-After and the database's absence as the reason. */
export async function expectUpButRefusing(world: PoolWorld): Promise<void> {
  const { client, process } = newInstanceOf(world);
  expect(process.isRunning, `the new ${client.service} instance is running:\n${process.recentOutput()}`).to.equal(true);
  await expectHealth(client, ['critical'], WAIT.shortly);
  const outcome = await client.work('fast');
  const problem = expectBackpressure(outcome, 503);
  expect(problem.type, 'why a database operation on the new instance was refused').to.equal('/problems/database-unavailable');
}

/** Once the database is there, the new instance says healthy and serves, without being restarted. */
export async function expectNewInstanceServes(world: PoolWorld, withinMs: number): Promise<number> {
  const { client, process } = newInstanceOf(world);
  const started = Date.now();
  await expectHealth(client, ['healthy'], withinMs);
  const healthyInMs = Date.now() - started;
  await eventually(async () => {
    const outcome = await client.work('fast');
    expect(outcome.status, `a database operation on the new instance: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  }, { within: withinMs, every: 250 });
  expect(process.isRunning, 'the new instance was never restarted').to.equal(true);
  return healthyInMs;
}

/**
 * Stops the new instance (SIGTERM: a graceful close) and checks that it went, and that its
 * connections went with it: PostgreSQL again sees exactly what the run's own instance reports.
 */
export async function expectNewInstanceLeavesNothing(world: PoolWorld): Promise<void> {
  const { client, process } = newInstanceOf(world);
  await process.stop();
  expect(process.exitedWith, `the new instance's exit code after SIGTERM:\n${process.recentOutput()}`).to.equal(0);
  await auditConnections(world.client(client.service as ServiceName), world.requireAudit());
}
