import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestDatabase } from '../testing/test-database';
import { DatabaseConnectionManager } from './database-connection-manager';
import { CircuitOpenError, PoolQueueFullError, PoolTimeoutError } from './errors';
import { until } from '../testing/until';

let db: TestDatabase;
const managers: DatabaseConnectionManager[] = [];

before(async () => {
  db = await TestDatabase.start();
});
after(async () => {
  await Promise.all(managers.map((m) => m.close()));
  await db.stop();
});

function manager(overrides: Parameters<TestDatabase['config']>[0] = {}, databaseUrl?: string): DatabaseConnectionManager {
  const config = db.config(overrides);
  const created = new DatabaseConnectionManager('backend', databaseUrl ? { ...config, databaseUrl } : config);
  managers.push(created);
  return created;
}


describe('AsyncConnectionPool on pg.Pool, against real PostgreSQL', () => {
  it('hands out pool_size + max_overflow connections, then queues', async () => {
    const { pool } = manager({ poolSize: 2, maxOverflow: 1 });
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    const fourth = pool.acquire();
    await until(() => pool.waitingCount === 1);
    assert.equal(pool.activeCount, 3);
    held[0]!.release();
    const served = await fourth;
    for (const c of [...held.slice(1), served]) c.release();
    assert.equal(pool.activeCount, 0);
  });

  it('closes overflow connections when returned while nobody waits', async () => {
    const m = manager({ poolSize: 2, maxOverflow: 2 });
    const held = await Promise.all([1, 2, 3, 4].map(() => m.pool.acquire()));
    assert.equal(m.pool.totalCount, 4);
    for (const c of held) c.release();
    assert.equal(m.pool.totalCount, 2);
    assert.equal(m.pool.idleCount, 2);
    // pg.Pool reports a removal once the socket has closed.
    await until(() => m.metrics.snapshot().counters.destroyed === 2);
  });

  it('serves waiters first-in-first-out', async () => {
    const { pool } = manager({ poolSize: 1, maxOverflow: 0 });
    const first = await pool.acquire();
    const order: string[] = [];
    const waiters = ['A', 'B', 'C', 'D'].map((name) =>
      pool.acquire().then((connection) => {
        order.push(name);
        connection.release();
      }),
    );
    await until(() => pool.waitingCount === 4);
    first.release();
    await Promise.all(waiters);
    assert.deepEqual(order, ['A', 'B', 'C', 'D']);
  });

  it('times out after pool_timeout with the facts in SQLAlchemy wording', async () => {
    const { pool, metrics } = manager({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.3 });
    const held = await pool.acquire();
    const started = performance.now();
    await assert.rejects(pool.acquire(), (error: unknown) => {
      assert.ok(error instanceof PoolTimeoutError);
      assert.match(error.message, /limit of size 1 overflow 0 reached, connection timed out, timeout 0\.30/);
      return true;
    });
    const waited = performance.now() - started;
    assert.ok(waited >= 290 && waited < 1500, `waited ${waited} ms for a 300 ms timeout`);
    assert.equal(metrics.snapshot().counters.timeouts, 1);
    assert.equal(pool.waitingCount, 0);
    held.release();
  });

  it('times out every waiter at its own deadline, also after pool_timeout was lowered while it waited', async () => {
    const { pool } = manager({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.8 });
    const held = await pool.acquire();
    const started = performance.now();
    const settledAfter = (acquiring: Promise<unknown>) => acquiring.then(
      () => Number.NaN,
      (error: unknown) => (error instanceof PoolTimeoutError ? performance.now() - started : Number.NaN),
    );
    const first = settledAfter(pool.acquire()); // asked under the 0.8 s timeout
    await pool.reconfigure({ ...pool.currentLimits, poolTimeoutSeconds: 0.2 });
    const second = settledAfter(pool.acquire()); // asked later, under 0.2 s: gives up first
    const [firstMs, secondMs] = await Promise.all([first, second]);
    assert.ok(secondMs >= 190 && secondMs < 700, `the later waiter gave up after ${secondMs} ms (0.2 s timeout)`);
    assert.ok(firstMs >= 790 && firstMs < 1800, `the earlier waiter gave up after ${firstMs} ms (0.8 s timeout)`);
    assert.equal(pool.waitingCount, 0);
    held.release();
  });

  it('withConnection: consecutive pool timeouts open the breaker, which then refuses at once; a full queue does not count', async () => {
    const m = manager({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.1, maxQueue: 1, breakerFailures: 2, breakerHalfOpenAfterSeconds: 60 });
    const held = await m.pool.acquire();
    const slow = m.withConnection(async () => 'never');
    await assert.rejects(m.withConnection(async () => 'never'), PoolQueueFullError);
    await assert.rejects(slow, PoolTimeoutError);
    assert.equal(m.breaker.currentState, 'closed', 'one timeout (and a full queue) is not enough');
    await assert.rejects(m.withConnection(async () => 'never'), PoolTimeoutError);
    assert.equal(m.breaker.currentState, 'open');
    const started = performance.now();
    await assert.rejects(m.withConnection(async () => 'never'), CircuitOpenError);
    assert.ok(performance.now() - started < 50, 'refused at once, without queueing');
    held.release();
  });

  it('refuses at once when the queue is full', async () => {
    const { pool, metrics } = manager({ poolSize: 1, maxOverflow: 0, maxQueue: 1 });
    const held = await pool.acquire();
    const queued = pool.acquire();
    const started = performance.now();
    await assert.rejects(pool.acquire(), PoolQueueFullError);
    assert.ok(performance.now() - started < 50, 'refused without waiting');
    assert.equal(metrics.snapshot().counters.rejected, 1);
    held.release();
    (await queued).release();
  });

  it('gives the connection back when the callback throws', async () => {
    const m = manager();
    await assert.rejects(m.withConnection(async () => Promise.reject(new Error('handler bug'))), /handler bug/);
    await assert.rejects(m.withConnection((c) => c.query('SELECT 1 / 0')), /division by zero/);
    await assert.rejects(m.transaction(async (c) => c.query('SELECT nope')), /column "nope" does not exist/);
    assert.equal(m.pool.activeCount, 0);
    assert.equal(m.metrics.snapshot().counters.released, 3);
  });

  it('throws when a connection is released twice', async () => {
    const { pool } = manager();
    const connection = await pool.acquire();
    connection.release();
    assert.throws(() => connection.release(), /released twice/);
  });

  it('gives a connection that arrives after its waiter timed out straight back (node-postgres #3543)', async () => {
    // A proxy that delays every new connection by 400 ms, longer than the 100 ms pool timeout.
    const target = new URL(db.serviceUrl);
    const proxy = net.createServer((socket) => {
      setTimeout(() => {
        const upstream = net.connect(Number(target.port), target.hostname);
        socket.pipe(upstream).pipe(socket);
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      }, 400);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const slowUrl = new URL(db.serviceUrl);
    slowUrl.port = String((proxy.address() as net.AddressInfo).port);
    const m = manager({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.1 }, slowUrl.toString());
    await assert.rejects(m.pool.acquire(), PoolTimeoutError);
    await until(() => m.metrics.snapshot().counters.lateConnectionsReturned === 1);
    assert.equal(m.pool.activeCount, 0, 'no checkout left behind');
    assert.equal(m.pool.idleCount, 1, 'the late connection is back in the pool');
    await m.close();
    proxy.close();
  });

  it('survives the server killing a checked-out connection, and replaces it', async () => {
    const m = manager();
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      await assert.rejects(
        m.withConnection(async (connection) => {
          await admin.query('SELECT pg_terminate_backend($1)', [connection.serverProcessId]);
          await connection.query('SELECT pg_sleep(0.1)');
        }),
      );
      assert.equal(m.pool.activeCount, 0);
      const { rows } = await m.withConnection((c) => c.query<{ ok: number }>('SELECT 1 AS ok'));
      assert.equal(rows[0]?.ok, 1);
      assert.ok(m.metrics.snapshot().counters.errors >= 1);
    } finally {
      await admin.end();
    }
  });

  it('applies new limits at run time: more capacity serves waiters at once', async () => {
    const { pool } = manager({ poolSize: 1, maxOverflow: 0 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await until(() => pool.waitingCount === 1);
    await pool.reconfigure({ ...pool.currentLimits, poolSize: 2 });
    const served = await waiting;
    served.release();
    held.release();
  });
});
