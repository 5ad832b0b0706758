import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildAuthApp } from '../auth/app';
import { TokenIssuer } from '../auth/tokens';
import { DatabaseConnectionManager, type PooledConnection } from '../pool';
import { TestDatabase } from '../testing/test-database';
import { until } from '../testing/until';

/*
 * The pool routes of a real service (the auth service, on real PostgreSQL): /health judges
 * utilization by the service's setting, and utilization means one thing everywhere it is shown.
 */

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
const USER = { email: 'qa@example.test', password: 'local-test-password' }; // created by the auth migration
const WARN_UTILIZATION = 0.5;

let db: TestDatabase;
let manager: DatabaseConnectionManager;
let app: FastifyInstance;

before(async () => {
  db = await TestDatabase.start('auth');
  // Capacity 2, warning from 50%: one held connection is "warning" here, where a fixed 80% would say "pass".
  const config = db.config({ poolSize: 2, maxOverflow: 0, poolTimeoutSeconds: 0.3, maxQueue: 1, healthWarnUtilization: WARN_UTILIZATION });
  manager = new DatabaseConnectionManager('auth', config);
  await manager.start();
  const issuer = await TokenIssuer.create(60);
  app = buildAuthApp({ http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logLevel: 'warn' }, database: config, tokenTtlSeconds: 60 }, manager, issuer);
  await app.ready();
});
after(async () => {
  await app?.close();
  await manager?.close();
  await db?.stop();
});

const login = () => app.inject({ method: 'POST', url: '/auth/login', payload: USER });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function holdConnections(count: number): Promise<PooledConnection[]> {
  const held: PooledConnection[] = [];
  for (let i = 0; i < count; i++) held.push(await manager.pool.acquire());
  return held;
}

function metricValue(text: string, name: string): number {
  const match = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`${name} not in /metrics`);
  return Number(match[1]);
}

describe('GET /health judges utilization by HEALTH_WARN_UTILIZATION', () => {
  it('warns at the setting (50% here), in agreement with the pool status', async () => {
    const held = await holdConnections(1);
    try {
      const body = (await app.inject('/health')).json();
      const check = body.checks['pool:utilization'][0];
      assert.equal(check.observedValue, 0.5);
      assert.equal(check.status, 'warn', 'utilization 0.5 >= HEALTH_WARN_UTILIZATION 0.5');
      assert.equal(body.poolStatus, 'warning');
      assert.equal(body.status, 'warn');
    } finally {
      for (const connection of held) connection.release();
    }
    const check = (await app.inject('/health')).json().checks['pool:utilization'][0];
    assert.equal(check.status, 'pass');
  });
});

describe('utilization has one meaning: checked-out connections / capacity', () => {
  it('is the same number in /metrics, /health, /admin/pool and a refusal', async () => {
    const held = await holdConnections(2);
    try {
      const waiting = login(); // waits in the queue (its bound is 1) …
      await until(() => manager.pool.waitingCount === 1);
      const refused = await login(); // … so this one is refused at once
      assert.equal(refused.statusCode, 429);
      const metrics = (await app.inject('/metrics')).body;
      const health = (await app.inject('/health')).json();
      const snapshot = (await app.inject({ url: '/admin/pool', headers: admin })).json();
      const seen = {
        metrics: metricValue(metrics, 'dbpool_utilization_ratio'),
        health: health.checks['pool:utilization'][0].observedValue,
        snapshot: snapshot.utilization,
        refusal: refused.json().pool.utilization,
      };
      assert.deepEqual(seen, { metrics: 1, health: 1, snapshot: 1, refusal: 1 });
      assert.equal((await waiting).statusCode, 503, 'the waiter times out after pool_timeout');
    } finally {
      for (const connection of held) connection.release();
    }
  });
});
