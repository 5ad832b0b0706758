import { expect } from 'chai';
import type { LeakReport, LeakSettings, LeakedConnection } from '../clients/contract';
import { describeOutcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/** Leaks on purpose (fault injection), the leak detector's settings, and taking back what is left. */

async function changeLeakSettings(client: ServiceClient, change: Partial<LeakSettings>): Promise<LeakReport> {
  const outcome = await client.configureLeaks(change);
  expect(outcome.status, `${client.service} PUT /admin/pool/leaks ${JSON.stringify(change)}: ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakReport;
}

/** Changes the leak settings for this scenario; the previous ones come back when it ends. */
export async function configureLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<void> {
  const client = world.testApi(service);
  const { settings: previous } = await client.leakReport();
  world.onCleanup(async () => {
    await changeLeakSettings(client, previous);
  });
  await changeLeakSettings(client, change);
}

/** Changes them now (already restored at the end by configureLeakDetection). */
export function changeLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<LeakReport> {
  return changeLeakSettings(world.testApi(service), change);
}

/**
 * Makes the service leak one connection through its fault-injection endpoint. Whatever the
 * scenario proves, the leak is taken back when it ends, so the next scenario starts clean.
 */
export async function leakConnection(world: PoolWorld, service: ServiceName, mode: 'held' | 'dropped'): Promise<LeakedConnection> {
  const client = world.testApi(service);
  world.onCleanup(() => takeBackLeaks(client));
  const outcome = await world.operations.start('leak', () => client.leak(mode)).result;
  expect(outcome.status, `POST /api/work/leak?mode=${mode} (needs FAULT_INJECTION=on): ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakedConnection;
}

/** `count` connections taken by a buggy handler and never given back. */
export async function leakConnections(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await leakConnection(world, service, 'held');
}

/** The connection the scenario leaked last. */
export async function lastLeak(world: PoolWorld): Promise<LeakedConnection> {
  return (await world.operations.latest('leak').result).body as LeakedConnection;
}

export async function collectGarbage(client: ServiceClient): Promise<void> {
  const outcome = await client.collectGarbage();
  expect(outcome.status, `${client.service} POST /admin/gc (needs --expose-gc): ${JSON.stringify(outcome.body)}`).to.equal(200);
}

/** Reclaims whatever is still held once the scenario's requests are all answered, then restores the settings. */
async function takeBackLeaks(client: ServiceClient): Promise<void> {
  const { settings, held } = await client.leakReport();
  if (held.length === 0) return;
  await changeLeakSettings(client, { thresholdSeconds: 0.1, reclaim: true });
  try {
    await eventually(async () => expect((await client.leakReport()).held, `${client.service} connections still held`).to.deep.equal([]), { within: WAIT.settle });
  } finally {
    await changeLeakSettings(client, settings);
  }
}
