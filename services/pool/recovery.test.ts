import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestDatabase } from '../testing/test-database';
import { PoolCircuitBreaker } from './circuit-breaker';
import { ConfigError } from '../common/settings';
import { databaseConfigFromEnv } from './database-config';
import { asUnavailable } from './errors';
import { DatabaseConnectionManager } from './database-connection-manager';
import type { HealthStatus } from './health';
import { PoolRecovery, applyRecoverySettingsChange, recoverySettingsOf, type RecoveryStrategy, type RecoveryTarget, type StrategyName } from './recovery';
import { until as waitUntil } from '../testing/until';

/** The recovery settings every service starts with (env/service-settings.ts). */
const DEFAULT_RECOVERY_SETTINGS = recoverySettingsOf(databaseConfigFromEnv({ DATABASE_URL: 'postgresql://unused@127.0.0.1/none' }));

/** A stand-in for the pool: health as a variable the fake strategies change. */
function coordinator(heals: Partial<Record<StrategyName, HealthStatus>>, order: StrategyName[] = ['cancel-long-statements', 'reclaim-leaked-connections', 'recycle-pool', 'open-circuit-breaker']) {
  let health: HealthStatus = 'critical';
  const counted: string[] = [];
  const strategies: RecoveryStrategy[] = order.map((name) => ({
    name,
    async run() {
      const next = heals[name];
      if (!next) return { outcome: 'nothing-to-do', detail: 'nothing' };
      health = next;
      return { outcome: 'succeeded', detail: `healed to ${next}` };
    },
  }));
  const target = { breaker: new PoolCircuitBreaker({ failures: 5, halfOpenAfterSeconds: 5 }), count: (name: string) => counted.push(name) } as unknown as RecoveryTarget;
  const recovery = new PoolRecovery(target, strategies, { ...DEFAULT_RECOVERY_SETTINGS, recoverAfterSeconds: 2 }, () => health);
  return { recovery, counted, setHealth: (s: HealthStatus) => (health = s) };
}

describe('recovery passes', () => {
  it('runs the strategies in priority order and stops once health is no longer critical', async () => {
    const { recovery, counted } = coordinator({ 'reclaim-leaked-connections': 'warning' });
    const pass = await recovery.run('automatic');
    assert.deepEqual(pass.attempts.map((a) => [a.priority, a.strategy, a.outcome, a.healthAfter]), [
      [1, 'cancel-long-statements', 'nothing-to-do', 'critical'],
      [2, 'reclaim-leaked-connections', 'succeeded', 'warning'],
    ]);
    assert.equal(pass.healed, true);
    assert.deepEqual(counted, ['recoveryAttempts', 'recoveryAttempts', 'recoverySuccesses']);
    assert.equal(recovery.report().attempts.length, 2);
  });

  it('a manual pass goes on until healthy, and reports a pass that did not heal', async () => {
    const { recovery } = coordinator({ 'cancel-long-statements': 'warning' });
    const pass = await recovery.run('manual');
    assert.deepEqual(pass.attempts.map((a) => a.strategy), ['cancel-long-statements', 'reclaim-leaked-connections', 'recycle-pool', 'open-circuit-breaker']);
    assert.equal(pass.healed, false);
    assert.equal(pass.healthAfter, 'warning');
  });

  it('refuses strategies that are not in the declared priority order', () => {
    assert.throws(() => coordinator({}, ['recycle-pool', 'cancel-long-statements']), /not in the priority order/);
  });

  it('runs automatically only after health has been critical with no progress for RECOVERY_AFTER', async () => {
    const { recovery } = coordinator({ 'cancel-long-statements': 'healthy' });
    recovery.tick('critical', 10, 0);
    recovery.tick('critical', 11, 1_500); // a connection moved: the clock restarts
    recovery.tick('critical', 11, 3_000);
    assert.equal(recovery.report().attempts.length, 0, 'stalled for 1.5 s only');
    recovery.tick('critical', 11, 3_600);
    await recovery.run('automatic'); // joins the pass the tick started
    assert.deepEqual(recovery.report().attempts.map((a) => [a.trigger, a.strategy]), [['automatic', 'cancel-long-statements']]);
  });

  it('validates run-time settings by name', () => {
    assert.deepEqual(applyRecoverySettingsChange(DEFAULT_RECOVERY_SETTINGS, { recoverAfterSeconds: 1.5 }).recoverAfterSeconds, 1.5);
    assert.throws(() => applyRecoverySettingsChange(DEFAULT_RECOVERY_SETTINGS, { breakerFailures: 0 }), (e: unknown) => e instanceof ConfigError && /breakerFailures=0 is not allowed/.test(e.message));
    assert.throws(() => applyRecoverySettingsChange(DEFAULT_RECOVERY_SETTINGS, { recoverAfter: 1 }), /one of the fields/);
    assert.throws(() => applyRecoverySettingsChange(DEFAULT_RECOVERY_SETTINGS, { longStatementSeconds: '3' }), ConfigError);
  });
});

describe('recovery against a real PostgreSQL', () => {
  const fixture = useTestDatabase();

  /** Each test's manager under its own application_name, so pg_stat_activity counts are its own. */
  async function manager(name: string): Promise<DatabaseConnectionManager> {
    const created = fixture.track(new DatabaseConnectionManager(name, fixture.db.config({ poolSize: 1, maxOverflow: 1, poolTimeoutSeconds: 30, healthCheckIntervalSeconds: 0.1, recoverAfterSeconds: 1.5, longStatementSeconds: 1 })));
    await created.start();
    return created;
  }

  /** A recovery pass can take a while on a busy machine: 10 s. */
  const until = (check: () => boolean | Promise<boolean>): Promise<void> => waitUntil(check, 10_000, 50);

  async function serverConnections(name: string): Promise<number> {
    const { rows } = await fixture.audit.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name]);
    return Number(rows[0]?.n);
  }

  it('heals a pool stuck on hung statements by cancelling them, on its own; their callers get the cancellation', async () => {
    const m = await manager('hung');
    const hung = [1, 2].map(() => m.withConnection((c) => c.query('SELECT pg_sleep(60)')).then(() => 'finished', (e: Error & { code?: string }) => e.code));
    await until(() => m.pool.activeCount === 2);
    const waiter = m.withConnection((c) => c.query('SELECT 1 AS ok')).then((r) => r.rows[0]?.ok);
    await until(() => m.healthReport().status === 'critical');
    assert.deepEqual(await Promise.all(hung), ['57014', '57014']);
    assert.equal(await waiter, 1);
    await until(() => m.recovery.report().lastPass !== undefined);
    const pass = m.recovery.report().lastPass;
    assert.deepEqual(pass?.attempts.map((a) => [a.strategy, a.outcome]), [['cancel-long-statements', 'succeeded']]);
    assert.equal(pass?.trigger, 'automatic');
    assert.equal(m.metrics.snapshot().counters.recoverySuccesses, 1);
    await until(() => m.healthReport().status === 'healthy');
  });

  it('the emergency reset refuses waiters, takes back every connection and leaves a working fresh pool', async () => {
    const m = await manager('reset');
    m.recovery.configure({ recoverAfterSeconds: 3600 });
    const held = [1, 2].map(() => m.withConnection((c) => c.query('SELECT pg_sleep(60)')).then(() => 'finished', (e: Error) => asUnavailable(e)?.name ?? e.message));
    await until(() => m.pool.activeCount === 2);
    const waiter = m.withConnection((c) => c.query('SELECT 1')).then(() => 'served', (e: Error) => e.name);
    await until(() => m.pool.waitingCount === 1);
    const reset = await m.recovery.reset();
    assert.deepEqual([reset.rejectedWaiters, reset.reclaimedCheckouts], [1, 2]);
    assert.ok(reset.terminatedConnections <= 2, 'only the backends of its own checkouts');
    assert.equal(await waiter, 'PoolResetError');
    assert.deepEqual(await Promise.all(held), ['DatabaseUnavailableError', 'DatabaseUnavailableError']);
    assert.equal(m.pool.activeCount, 0);
    assert.deepEqual((await m.withConnection((c) => c.query('SELECT 1 AS ok'))).rows, [{ ok: 1 }]);
    await until(async () => (await serverConnections('reset')) === m.pool.totalCount);
  });

  it('recycling swaps in a fresh pool; a connection checked out before closes when it comes back', async () => {
    const m = await manager('recycle');
    await m.withConnection((c) => c.query('SELECT 1'));
    const connection = await m.pool.acquire();
    const before = connection.serverProcessId;
    assert.deepEqual(m.pool.recycle(), { closedIdle: 0, retiredInUse: 1 });
    const fresh = await m.withConnection(async (c) => c.serverProcessId);
    assert.notEqual(fresh, before);
    connection.release();
    await until(async () => (await serverConnections('recycle')) === 1 && m.pool.totalCount === 1);
  });
});
