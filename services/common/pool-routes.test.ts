import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildAuthApp } from '../auth/app';
import { TokenIssuer } from '../auth/tokens';
import { DatabaseConnectionManager, type PooledConnection } from '../pool';
import { TestDatabase } from '../testing/test-database';
import { until } from '../testing/until';

/*
 * The pool routes of a real service (the auth service, on real PostgreSQL): /metrics passes
 * Prometheus' own linter, /health judges utilization by the service's setting, and utilization
 * means one thing everywhere it is shown.
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

describe('GET /metrics of a real service', () => {
  it('passes `promtool check metrics` (Prometheus\' own linter)', async (t) => {
    // Some of everything first: checkouts, waits, a refusal of each kind, so no series is only zeros.
    assert.equal((await login()).statusCode, 200);
    const held = await holdConnections(2);
    const waiting = login();
    await until(() => manager.pool.waitingCount === 1);
    assert.equal((await login()).statusCode, 429);
    assert.equal((await waiting).statusCode, 503);
    for (const connection of held) connection.release();
    const metrics = await app.inject('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^dbpool_refusal_duration_seconds_count\{status="429",service="auth"\} [1-9]/m);
    assert.match(metrics.body, /^dbpool_connections_open\{service="auth"\} \d+$/m);
    assert.doesNotMatch(metrics.body, /^dbpool_connections_total/m, 'the gauge renamed: it is not a counter');

    const found = await promtool();
    if ('skip' in found) return t.skip(found.skip);
    const { code, output } = await run(found.path, ['check', 'metrics'], metrics.body);
    assert.equal(output.trim(), '', `promtool check metrics found problems:\n${output}`);
    assert.equal(code, 0, `promtool exited with ${code}`);
  });
});

/** Runs `file args`, feeding `input` on stdin; resolves with the exit code and everything it wrote. */
function run(file: string, args: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

/** Where a promtool fetched by this test is kept between runs (a tool cache, as other tools keep theirs). */
const CACHED_PROMTOOL = path.resolve(__dirname, '../../node_modules/.cache/promtool/promtool');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * promtool from PROMTOOL, the system (`apt-get install -y prometheus` puts it in /usr/bin), or
 * this test's cache; else fetched from Debian's prometheus package with apt and unpacked, keeping
 * only promtool. Fetching rather than installing: installing the package also sets up a
 * Prometheus server (and, on a machine with systemd, starts it), which a test has no business doing.
 */
async function promtool(): Promise<{ path: string } | { skip: string }> {
  const candidates = [process.env.PROMTOOL, '/usr/bin/promtool', '/usr/local/bin/promtool', CACHED_PROMTOOL];
  for (const candidate of candidates) if (candidate && isExecutable(candidate)) return { path: candidate };
  const exec = promisify(execFile);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'promtool-'));
  try {
    try {
      await exec('apt-get', ['download', 'prometheus'], { cwd: scratch, timeout: 120_000 });
    } catch {
      // The package lists may be missing or stale (a fresh container): refresh them once.
      await exec('apt-get', ['update'], { timeout: 300_000 });
      await exec('apt-get', ['download', 'prometheus'], { cwd: scratch, timeout: 120_000 });
    }
    const deb = (await readdir(scratch)).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download left no .deb');
    await exec('sh', ['-c', `dpkg-deb --fsys-tarfile "${deb}" | tar -x ./usr/bin/promtool`], { cwd: scratch, timeout: 120_000 });
    await mkdir(path.dirname(CACHED_PROMTOOL), { recursive: true });
    await copyFile(path.join(scratch, 'usr/bin/promtool'), CACHED_PROMTOOL);
    if (!existsSync(CACHED_PROMTOOL)) throw new Error('promtool was not in the package');
    return { path: CACHED_PROMTOOL };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { skip: `promtool not found and not fetchable from Debian's prometheus package (${reason}); install it with \`apt-get install -y prometheus\` or set PROMTOOL` };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
