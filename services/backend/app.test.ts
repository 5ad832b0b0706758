import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { TestDatabase } from '../testing/test-database';
import { DatabaseConnectionManager } from '../pool';
import { buildBackendApp } from './app';
import { until } from '../testing/until';

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let db: TestDatabase;
let manager: DatabaseConnectionManager;
let app: FastifyInstance;

before(async () => {
  db = await TestDatabase.start();
  manager = new DatabaseConnectionManager('backend', db.config({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.3, maxQueue: 1 }));
  await manager.start();
  app = buildBackendApp({ http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logLevel: 'warn' }, database: db.config(), faultInjection: false }, manager);
});
after(async () => {
  await app.close();
  await manager.close();
  await db.stop();
});

describe('backend HTTP contract', () => {
  it('serves the workload endpoints', async () => {
    assert.equal((await app.inject('/api/work/fast')).statusCode, 200);
    const hold = await app.inject('/api/work/hold?seconds=0.05');
    assert.equal(hold.statusCode, 200);
    assert.equal(hold.json().heldSeconds, 0.05);
  });

  it('answers a failing database operation with a problem, and gets its connection back', async () => {
    const response = await app.inject('/api/work/fail');
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().type, '/problems/database-operation-failed');
    assert.equal(manager.pool.activeCount, 0);
  });

  for (const bad of ['-1', '0', 'abc', '1e9', '']) {
    it(`refuses hold seconds=${JSON.stringify(bad)} with 400 problem+json`, async () => {
      const response = await app.inject(`/api/work/hold?seconds=${bad}`);
      assert.equal(response.statusCode, 400);
      assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match(response.json().detail, /seconds/);
    });
  }

  it('maps a timed-out wait to 503 and a full queue to 429, both with Retry-After', async () => {
    const holding = app.inject('/api/work/hold?seconds=1');
    await until(() => manager.pool.activeCount === 1);
    const waiting = app.inject('/api/work/fast');
    await until(() => manager.pool.waitingCount === 1);
    const refused = await app.inject('/api/work/fast');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.json().type, '/problems/pool-queue-full');
    assert.equal(refused.json().pool.waiting, 1);
    assert.equal(refused.json().pool.maxQueue, 1, 'the bound on waiting requests, as a field');
    const timedOut = await waiting;
    assert.equal(timedOut.statusCode, 503);
    assert.equal(timedOut.headers['retry-after'], '1');
    assert.match(timedOut.json().detail, /limit of size 1 overflow 0 reached, connection timed out, timeout 0\.30/);
    assert.equal(timedOut.json().pool.poolTimeoutSeconds, 0.3, 'the pool timeout, as a field');
    assert.equal((await holding).statusCode, 200);
  });

  it('guards admin endpoints: 401 without a token, 403 with a wrong one', async () => {
    const missing = await app.inject('/admin/pool');
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assert.equal((await app.inject({ url: '/admin/pool', headers: { authorization: 'Bearer wrong' } })).statusCode, 403);
    assert.equal((await app.inject({ url: '/admin/pool', headers: admin })).statusCode, 200);
  });

  it('refuses an invalid pool change with 400 and leaves the pool untouched', async () => {
    const before = (await app.inject({ url: '/admin/pool', headers: admin })).json().config;
    for (const body of [{ poolSize: 0 }, { maxOverflow: -1 }, { poolTimeoutSeconds: 0 }, { maxQueue: -1 }, { poolSize: 'x' }, { bogus: 1 }]) {
      const response = await app.inject({ method: 'PUT', url: '/admin/pool/config', headers: admin, payload: body });
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(response.json().type, '/problems/invalid-configuration');
    }
    const malformed = await app.inject({ method: 'PUT', url: '/admin/pool/config', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"poolSize":' });
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual((await app.inject({ url: '/admin/pool', headers: admin })).json().config, before);
  });

  it('applies a valid pool change', async () => {
    const response = await app.inject({ method: 'PUT', url: '/admin/pool/config', headers: admin, payload: { poolSize: 2, maxOverflow: 1 } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().connections.capacity, 3);
  });

  it('answers health as health+json and metrics in Prometheus text', async () => {
    const health = await app.inject('/health');
    assert.match(health.headers['content-type'] as string, /^application\/health\+json/);
    assert.ok(['pass', 'warn'].includes(health.json().status));
    const metrics = await app.inject('/metrics');
    assert.match(metrics.body, /^dbpool_utilization_ratio\{service="backend"\} /m);
    assert.match(metrics.body, /^dbpool_timeouts_total\{service="backend"\} \d+/m);
    assert.match(metrics.body, /^dbpool_acquire_wait_seconds_bucket/m);
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const response = await app.inject('/nope');
    assert.equal(response.statusCode, 404);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
  });

  it('does not echo a credential from the query of an unknown route', async () => {
    const response = await app.inject('/nope?token=secret-value-123&page=2');
    assert.equal(response.statusCode, 404);
    assert.doesNotMatch(response.body, /secret-value-123/);
    assert.match(response.json().detail, /token=\[redacted\]&page=2/);
  });
});
