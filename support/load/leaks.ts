import { expect } from 'chai';
import type { ServiceClient } from '../clients/service-client';
import { describeOutcome } from '../clients/outcome';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';

/** The leak detection contract: GET/PUT /admin/pool/leaks. */
export interface LeakSettings {
  thresholdSeconds: number;
  reclaim: boolean;
  traceCheckouts: boolean;
}

export interface LeakEvent {
  at: string;
  checkoutId: number;
  action: 'reported' | 'reclaimed' | 'collected' | 'returned';
  ageMs: number;
  serverProcessId: number | undefined;
  serverTerminated?: boolean;
  stack?: string;
}

export interface LeakReport {
  settings: LeakSettings;
  held: Array<{ checkoutId: number; ageMs: number; pastThreshold: boolean; serverProcessId: number | undefined; stack?: string }>;
  events: LeakEvent[];
}

/** What POST /api/work/leak answers: which checkout leaked, on which server backend. */
export interface LeakedConnection {
  checkoutId: number;
  serverProcessId: number;
  mode: 'held' | 'dropped';
}

export async function leakReport(client: ServiceClient): Promise<LeakReport> {
  const outcome = await client.request('GET', '/admin/pool/leaks', { admin: true });
  expect(outcome.status, `${client.service} GET /admin/pool/leaks: ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakReport;
}

async function putLeakSettings(client: ServiceClient, change: Partial<LeakSettings>): Promise<LeakReport> {
  const outcome = await client.request('PUT', '/admin/pool/leaks', { admin: true, data: change });
  expect(outcome.status, `${client.service} PUT /admin/pool/leaks ${JSON.stringify(change)}: ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakReport;
}

/** Changes the leak settings for this scenario; the previous ones come back when it ends. */
export async function configureLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<void> {
  const client = world.client(service);
  const { settings: previous } = await leakReport(client);
  world.onCleanup(async () => {
    await putLeakSettings(client, previous);
  });
  await putLeakSettings(client, change);
}

export function changeLeakDetection(world: PoolWorld, service: ServiceName, change: Partial<LeakSettings>): Promise<LeakReport> {
  return putLeakSettings(world.client(service), change);
}

/**
 * Makes the service leak one connection through its fault-injection endpoint. Whatever the
 * scenario proves, the leak is taken back when it ends, so the next scenario starts clean.
 */
export async function leakConnection(world: PoolWorld, service: ServiceName, mode: 'held' | 'dropped'): Promise<LeakedConnection> {
  const client = world.client(service);
  world.onCleanup(() => takeBackLeaks(client));
  const outcome = await world.operations.start('leak', () => client.request('POST', '/api/work/leak', { params: { mode }, data: {} })).result;
  expect(outcome.status, `POST /api/work/leak?mode=${mode} (needs FAULT_INJECTION=on): ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as LeakedConnection;
}

/** The connection the scenario leaked last. */
export async function lastLeak(world: PoolWorld): Promise<LeakedConnection> {
  return (await world.operations.latest('leak').result).body as LeakedConnection;
}

export async function forceGarbageCollection(client: ServiceClient): Promise<void> {
  const outcome = await client.request('POST', '/admin/gc', { admin: true, data: {} });
  expect(outcome.status, `${client.service} POST /admin/gc (needs --expose-gc): ${JSON.stringify(outcome.body)}`).to.equal(200);
}

/** Reclaims whatever is still held once the scenario's requests are all answered, then restores the settings. */
async function takeBackLeaks(client: ServiceClient): Promise<void> {
  const { settings, held } = await leakReport(client);
  if (held.length === 0) return;
  await putLeakSettings(client, { thresholdSeconds: 0.1, reclaim: true });
  try {
    await eventually(async () => expect((await leakReport(client)).held, `${client.service} connections still held`).to.deep.equal([]), { within: WAIT.settle });
  } finally {
    await putLeakSettings(client, settings);
  }
}
