import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { TestDatabase } from '../testing/test-database';
import { DatabaseConnectionManager } from '../pool';
import { buildBackendApp } from './app';

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let db: TestDatabase;
const managers: DatabaseConnectionManager[] = [];
const apps: FastifyInstance[] = [];

before(async () => {
  db = await TestDatabase.start();
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(managers.map((m) => m.close()));
  await db.stop();
});

async function backend(faultInjection: boolean): Promise<{ app: FastifyInstance; manager: DatabaseConnectionManager }> {
  const manager = new DatabaseConnectionManager('backend', db.config({ poolSize: 2, maxOverflow: 0 }));
  await manager.start();
  const app = buildBackendApp({ http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logLevel: 'warn' }, database: db.config(), faultInjection }, manager);
  managers.push(manager);
  apps.push(app);
  return { app, manager };
}

describe('fault-injection and GC endpoints', () => {
  it('has no leak endpoint unless FAULT_INJECTION=on', async () => {
    const { app } = await backend(false);
    const response = await app.inject({ method: 'POST', url: '/api/work/leak' });
    assert.equal(response.statusCode, 404);
  });

  it('leaks a held connection inside a transaction, and refuses an unknown mode', async () => {
    const { app, manager } = await backend(true);
    const response = await app.inject({ method: 'POST', url: '/api/work/leak?mode=held' });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.mode, 'held');
    assert.equal(typeof body.serverProcessId, 'number');
    assert.deepEqual(manager.pool.heldCheckouts().map((c) => c.id), [body.checkoutId]);
    const bad = await app.inject({ method: 'POST', url: '/api/work/leak?mode=forever' });
    assert.equal(bad.statusCode, 400);
    // Taken back through the leak settings, as the suite's cleanup does.
    manager.configureLeaks({ thresholdSeconds: 0.1, reclaim: true });
    const deadline = Date.now() + 5000;
    while (manager.pool.activeCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(manager.pool.activeCount, 0);
  });

  it('answers POST /admin/gc with 501 when the process has no exposed gc, and needs the admin token', async () => {
    const { app } = await backend(false);
    assert.equal((await app.inject({ method: 'POST', url: '/admin/gc' })).statusCode, 401);
    const response = await app.inject({ method: 'POST', url: '/admin/gc', headers: admin });
    // The test runner does not start node with --expose-gc (the suite's services do).
    assert.equal(response.statusCode, typeof (globalThis as { gc?: unknown }).gc === 'function' ? 200 : 501);
  });

  it('serves the leak report and changes leak settings at run time, 400 on a bad value', async () => {
    const { app } = await backend(false);
    const report = await app.inject({ method: 'GET', url: '/admin/pool/leaks', headers: admin });
    assert.equal(report.statusCode, 200);
    assert.deepEqual(Object.keys(report.json()), ['settings', 'held', 'events']);
    const changed = await app.inject({ method: 'PUT', url: '/admin/pool/leaks', headers: admin, payload: { thresholdSeconds: 2, traceCheckouts: true } });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(changed.json().settings, { thresholdSeconds: 2, reclaim: true, traceCheckouts: true });
    const bad = await app.inject({ method: 'PUT', url: '/admin/pool/leaks', headers: admin, payload: { thresholdSeconds: -1 } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /thresholdSeconds=-1 is not allowed/);
  });
});
