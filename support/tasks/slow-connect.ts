import { expect } from 'chai';
import { SlowConnectFault, type SlowedConnections } from '../clients/slow-connect-fault';
import { databaseUrl } from '../clients/target-database';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { NotOffered } from '../targets/not-offered';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/** The slow-connect fault a scenario put on a service's database, and how long it makes connecting take. */
interface SlowConnect {
  service: ServiceName;
  fault: SlowConnectFault;
  delay: Duration;
  removed: boolean;
}
const slowConnects = new ScenarioState<SlowConnect>('connecting was not slowed down in this scenario');

/** How long the fault may outlive its scenario if the suite is killed before it can drop it. */
const FAULT_LIFETIME_MS = 5 * 60_000;

/** A superuser URL on the service's own database: a login trigger lives in one database. */
async function serviceDatabaseUrl(world: PoolWorld, service: ServiceName): Promise<string> {
  const adminUrl = world.system.auditDatabaseUrl;
  if (!adminUrl) throw new NotOffered('a superuser connection to the database', 'this target gives the suite none (set DATABASE_URL)');
  const { supported, version } = await SlowConnectFault.supported(adminUrl);
  if (!supported) throw new NotOffered('a PostgreSQL that can slow logins down (login event triggers, PostgreSQL 17 or later)', `the server runs PostgreSQL ${version}`);
  world.noteEvidence("PostgreSQL's own view: pg_stat_activity and a log of the slowed logins");
  return databaseUrl(adminUrl, { database: world.target(service).database.name });
}

/**
 * From now on, every new connection of the service's pool takes `delay` to open (its sessions
 * already open, and every other connection, as fast as before). Removed when the scenario ends,
 * whatever happens.
 */
export async function slowDownConnecting(world: PoolWorld, service: ServiceName, delay: Duration): Promise<void> {
  const url = await serviceDatabaseUrl(world, service);
  const fault = await SlowConnectFault.install(url, world.target(service).applicationName, delay, new Date(Date.now() + FAULT_LIFETIME_MS));
  const state: SlowConnect = { service, fault, delay, removed: false };
  world.onCleanup(() => removeFault(state));
  slowConnects.set(world, state);
}

async function removeFault(state: SlowConnect): Promise<void> {
  if (state.removed) return;
  state.removed = true;
  await state.fault.remove();
}

/**
 * Waits until every connection the fault slowed has opened (at least one, and none still
 * waiting), then makes connecting fast again. Returns what PostgreSQL saw.
 */
export async function untilSlowConnectionsOpened(world: PoolWorld): Promise<SlowedConnections> {
  const state = slowConnects.of(world);
  const slowed = await eventually(async () => {
    const now = await state.fault.slowed();
    expect(now, `${state.service} connections slowed by ${state.delay}: opened, and still opening`).to.deep.include({ opening: 0 });
    expect(now.opened, `${state.service} connections that opened after the ${state.delay} delay`).to.be.at.least(1);
    return now;
  }, { within: state.delay.ms + WAIT.shortly, every: 100 });
  await removeFault(state);
  return slowed;
}
