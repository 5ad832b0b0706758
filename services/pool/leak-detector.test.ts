import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { useTestDatabase, type TestDatabase } from '../testing/test-database';
import { DatabaseConnectionManager } from './database-connection-manager';
import { ConfigError } from '../common/settings';
import { applyLeakSettingsChange } from './leak-detector';
import { until } from '../testing/until';

// The test runner is not started with --expose-gc: expose it for this file.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const fixture = useTestDatabase();

async function manager(overrides: Parameters<TestDatabase['config']>[0] = {}): Promise<DatabaseConnectionManager> {
  const created = fixture.track(new DatabaseConnectionManager('backend', fixture.db.config({ poolSize: 2, maxOverflow: 1, ...overrides })));
  await created.start();
  return created;
}


async function backendAlive(pid: number | undefined): Promise<boolean> {
  const { rows } = await fixture.audit.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length > 0;
}

describe('LeakDetector', () => {
  it('reports a connection held past the threshold, without taking it, and notes its late return', async () => {
    const m = await manager({ leakThresholdSeconds: 0.2, leakReclaim: false });
    const connection = await m.pool.acquire();
    await until(() => m.leaks.report().events.some((e) => e.action === 'reported'));
    const reported = m.leaks.report().events.find((e) => e.action === 'reported')!;
    assert.equal(reported.checkoutId, connection.id);
    assert.ok(reported.ageMs >= 200, `age ${reported.ageMs} ms`);
    assert.equal(m.leakSuspects(), 1);
    assert.equal(m.healthReport().status, 'warning');
    assert.match(m.healthReport().reasons.join(), /held past the leak threshold/);
    // Reclaim off: the connection still works and is still the caller's.
    assert.equal((await connection.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    connection.release();
    await until(() => m.leaks.report().events.some((e) => e.action === 'returned'));
    const counters = m.metrics.snapshot().counters;
    assert.equal(counters.leaksDetected, 1);
    assert.equal(counters.leaksReclaimed, 0);
  });

  it('reclaims a leaked connection: slot freed, server backend gone, event says reclaimed', async () => {
    const m = await manager({ leakThresholdSeconds: 0.2 });
    const connection = await m.pool.acquire();
    const pid = connection.serverProcessId;
    await connection.query('BEGIN');
    assert.equal(await backendAlive(pid), true);
    await until(() => m.leaks.report().events.some((e) => e.action === 'reclaimed'));
    assert.equal(m.pool.activeCount, 0);
    assert.deepEqual(m.leaks.report().events.filter((e) => e.checkoutId === connection.id).map((e) => e.action), ['reported', 'reclaimed']);
    await until(async () => !(await backendAlive(pid)));
    assert.equal(m.metrics.snapshot().counters.leaksReclaimed, 1);
    assert.equal(m.leakSuspects(), 0);
    // The caller's late release is harmless: the pool already took it back.
    connection.release();
    assert.equal(m.pool.activeCount, 0);
    // And the pool still serves.
    const again = await m.pool.acquire();
    again.release();
  });

  it('ends a leaked session from the server side: terminated, not merely hung up on', async () => {
    const m = await manager({ leakThresholdSeconds: 0.2 });
    const killed = async () => Number((await fixture.audit.query("SELECT sessions_killed FROM pg_stat_database WHERE datname = 'test_backend'")).rows[0].sessions_killed);
    const killedBefore = await killed();
    const connection = await m.pool.acquire();
    const pid = connection.serverProcessId;
    // Idle in a transaction: a closed socket alone would end this session too, as a client hanging up.
    await connection.query('BEGIN');
    await until(() => m.leaks.report().events.some((e) => e.action === 'reclaimed'));
    assert.equal(m.leaks.report().events.find((e) => e.action === 'reclaimed')!.serverTerminated, true);
    await until(async () => !(await backendAlive(pid)));
    // PostgreSQL's own count: sessions ended by pg_terminate_backend (a hang-up counts as abandoned or normal).
    await until(async () => (await killed()) === killedBefore + 1);
    // The server's "terminating connection" on that client was the reclaim, not a connection error.
    assert.equal(m.metrics.snapshot().counters.errors, 0);
  });

  it('kills a leaked connection whose backend is busy in a statement', async () => {
    const m = await manager({ leakThresholdSeconds: 0.3 });
    const connection = await m.pool.acquire();
    const pid = connection.serverProcessId;
    const running = connection.query('SELECT pg_sleep(30)').catch((error: Error) => error);
    await until(() => m.leaks.report().events.some((e) => e.action === 'reclaimed'));
    const reclaimed = m.leaks.report().events.find((e) => e.action === 'reclaimed')!;
    assert.equal(reclaimed.serverTerminated, true);
    await until(async () => !(await backendAlive(pid)));
    assert.ok((await running) instanceof Error);
  });

  it('finds a handle dropped without release after garbage collection, and reclaims it', async () => {
    const m = await manager({ leakThresholdSeconds: 3600 });
    let id = 0;
    await (async () => {
      const dropped = await m.pool.acquire();
      id = dropped.id;
    })();
    assert.equal(m.pool.activeCount, 1);
    await until(() => {
      gc();
      return m.leaks.report().events.some((e) => e.checkoutId === id && e.action === 'collected');
    });
    assert.equal(m.pool.activeCount, 0);
    const counters = m.metrics.snapshot().counters;
    assert.equal(counters.leaksDetected, 1);
    assert.equal(counters.leaksReclaimed, 1);
    assert.equal(counters.released, 0);
  });

  it('finds a withConnection checkout whose callback never settles once nothing references it, and reclaims it', async () => {
    const m = await manager({ leakThresholdSeconds: 3600 });
    // A callback awaiting a promise nobody can settle: the whole awaiting chain, handle included, becomes garbage.
    void m.withConnection(() => new Promise<never>(() => undefined));
    await until(() => m.pool.activeCount === 1);
    await until(() => {
      gc();
      return m.leaks.report().events.some((e) => e.action === 'collected');
    }, 10_000);
    assert.equal(m.pool.activeCount, 0);
    assert.equal(m.metrics.snapshot().counters.leaksReclaimed, 1);
  });

  it('ends the session of a handle dropped without release from the server side, and counts no error', async () => {
    const m = await manager({ leakThresholdSeconds: 3600 });
    const killed = async () => Number((await fixture.audit.query("SELECT sessions_killed FROM pg_stat_database WHERE datname = 'test_backend'")).rows[0].sessions_killed);
    const killedBefore = await killed();
    let pid: number | undefined;
    await (async () => {
      const dropped = await m.pool.acquire();
      pid = dropped.serverProcessId;
      // Idle in a transaction: a closed socket alone would end this session too, as a client hanging up.
      await dropped.query('BEGIN');
    })();
    await until(() => {
      gc();
      return m.leaks.report().events.some((e) => e.action === 'collected');
    });
    assert.equal(m.leaks.report().events.find((e) => e.action === 'collected')!.serverTerminated, true);
    await until(async () => !(await backendAlive(pid)));
    await until(async () => (await killed()) === killedBefore + 1);
    // Closed after the server's goodbye: the goodbye is not taken for a connection error.
    assert.equal(m.metrics.snapshot().counters.errors, 0);
  });

  it('takes a handle released before it was collected for no leak', async () => {
    const m = await manager({ leakThresholdSeconds: 3600 });
    let releasedId = 0;
    let droppedId = 0;
    await (async () => {
      const released = await m.pool.acquire();
      releasedId = released.id;
      released.release();
      droppedId = (await m.pool.acquire()).id;
    })();
    // The collection that finds the dropped handle has collected the released one too.
    await until(() => {
      gc();
      return m.leaks.report().events.some((e) => e.checkoutId === droppedId && e.action === 'collected');
    });
    assert.equal(m.pool.findCollectedHandles(), 0);
    assert.equal(m.leaks.report().events.some((e) => e.checkoutId === releasedId), false);
    const counters = m.metrics.snapshot().counters;
    assert.equal(counters.leaksDetected, 1);
    assert.equal(counters.released, 1);
  });

  it('records where a leaked connection was taken when tracing is on', async () => {
    const m = await manager({ leakThresholdSeconds: 0.2, traceCheckouts: true });
    const connection = await m.pool.acquire();
    await until(() => m.leaks.report().events.some((e) => e.action === 'reclaimed'));
    const event = m.leaks.report().events.find((e) => e.checkoutId === connection.id)!;
    assert.match(event.stack ?? '', /leak-detector\.test\.ts/);
    // The snapshot polled every 100 ms by the suite carries no stacks.
    assert.equal(m.snapshot().leaks.events.some((e) => 'stack' in e), false);
  });

  it('changes its settings at run time and refuses bad ones by name', async () => {
    const m = await manager();
    assert.deepEqual(m.configureLeaks({ thresholdSeconds: 1.5, reclaim: false }), { thresholdSeconds: 1.5, reclaim: false, traceCheckouts: false });
    assert.equal(m.snapshot().config.leakThresholdSeconds, 1.5);
    const current = { thresholdSeconds: 1, reclaim: true, traceCheckouts: false };
    assert.throws(() => applyLeakSettingsChange(current, { thresholdSeconds: 0 }), (e: unknown) => e instanceof ConfigError && /thresholdSeconds=0/.test(e.message));
    assert.throws(() => applyLeakSettingsChange(current, { reclaim: 'yes' }), /reclaim="yes" is not allowed: expected true or false/);
    assert.throws(() => applyLeakSettingsChange(current, { threshold: 1 }), /threshold=1 is not allowed: expected one of the fields/);
    assert.throws(() => applyLeakSettingsChange(current, [1]), /body/);
  });
});
