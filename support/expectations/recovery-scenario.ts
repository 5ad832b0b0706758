import { expect } from 'chai';
import type { RecoverySettings } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import { WAIT, eventually } from '../eventually';
import { leakConnection } from '../load/leaks';
import { holdConnections } from '../load/workload';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { PerScenario } from '../per-scenario';

/** Longer than any recovery limit a scenario sets: a statement that only recovery can end. */
export const HUNG_STATEMENT_MS = 120_000;

/**
 * What a recovery scenario (test case 7) marks and measures, kept per World (a WeakMap, so the
 * World stays small): when it began (records older than that belong to other scenarios), and the
 * pool's counters before the trouble.
 */
export class RecoveryScenario {
  /** Epoch ms after which the service's recovery records belong to this scenario. */
  since = Date.now();
  countersBefore: Record<string, number> | undefined;
}

const scenarios = new PerScenario('no recovery scenario', () => new RecoveryScenario());

export function recoveryOf(world: PoolWorld): RecoveryScenario {
  return scenarios.of(world);
}

/** Changes the recovery settings for this scenario; the previous ones come back when it ends. */
export async function configureRecovery(world: PoolWorld, service: ServiceName, change: Partial<RecoverySettings>): Promise<void> {
  const client = world.client(service);
  const { settings: previous } = await client.recoveryReport();
  world.onCleanup(async () => {
    const restored = await client.configureRecovery(previous);
    expect(restored.status, `restoring the ${service} recovery settings: ${JSON.stringify(restored.body)}`).to.equal(200);
  });
  const outcome = await client.configureRecovery(change);
  expect(outcome.status, `PUT /admin/pool/recovery ${JSON.stringify(change)}: ${JSON.stringify(outcome.body)}`).to.equal(200);
  const scenario = recoveryOf(world);
  scenario.since = Date.now();
  scenario.countersBefore = (await client.poolSnapshot()).counters;
}

/** Statements that run far past any limit: the pool does not clear until something ends them. */
export async function startHungStatements(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  await holdConnections(world, service, count, HUNG_STATEMENT_MS);
}

/** Connections taken by a buggy handler and never given back (fault injection). */
export async function leakConnections(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await leakConnection(world, service, 'held');
}

/** `count` more requests that need a connection, started in the background; returns once they wait. */
export async function queueRequests(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  const client = world.client(service);
  const waitingBefore = (await client.poolSnapshot()).connections.waiting;
  for (let i = 0; i < count; i++) world.operations.start('waiting', () => client.work('fast'));
  await eventually(async () => {
    expect((await client.poolSnapshot()).connections.waiting, `${service} requests waiting`).to.be.at.least(waitingBefore + count);
  });
}

/** One request, tracked like every other, answered before this returns. */
export function trackedRequest(world: PoolWorld, service: ServiceName, label: string): Promise<Outcome> {
  const client = world.client(service);
  return world.operations.start(label, () => client.work('fast')).result;
}

/** Waits until the open breaker would let a probe through (its break time is over). */
export async function untilBreakerMayProbe(client: ServiceClient, halfOpenAfterMs: number): Promise<void> {
  await eventually(async () => {
    const breaker = (await client.recoveryReport()).circuitBreaker;
    expect(breaker.state, `${client.service} circuit breaker`).to.equal('open');
    expect(breaker.retryInMs, `${client.service} circuit breaker: ms until it lets a probe through`).to.equal(0);
  }, { within: halfOpenAfterMs + WAIT.shortly });
}

/** The emergency reset, by an operator; answers what it did. */
export async function resetPool(client: ServiceClient): Promise<{ rejectedWaiters: number; reclaimedCheckouts: number; terminatedConnections: number }> {
  const outcome = await client.resetPool();
  expect(outcome.status, `POST /admin/pool/reset: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as { rejectedWaiters: number; reclaimedCheckouts: number; terminatedConnections: number };
}
