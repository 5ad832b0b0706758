import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { EmbeddedDatabase } from '../../testkit/embedded-database';
import type { TargetDescription } from './description';
import { TargetDescriptionSchema } from './schema';
import type { Platform } from '../environment/deployment';
import { TargetSystem } from './target-system';

/*
 * A described target that does not behave as its file says: each mistake stops with a message that
 * names it, and leaves nothing running. Our own backend plays the service (targets/ours-by-database.yaml,
 * without its auth service), on embedded PostgreSQL.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const database = new EmbeddedDatabase(60);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-target-system-'));
let platform: Platform;
/** The file a description stands for: relative paths in it are read from targets/. */
const FILE = path.join(ROOT, 'targets', 'test-target.yaml');

before(async () => {
  platform = { environment: 'embedded', adminUrl: await database.start(), running: {}, secrets: {}, dbPrefix: 'tst_' };
});
after(async () => {
  await database.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** targets/ours-by-database.yaml, backend only, with one change. */
function describedBackend(change: (backend: Record<string, any>) => void = () => undefined): TargetDescription {
  const raw = parse(readFileSync(path.join(ROOT, 'targets', 'ours-by-database.yaml'), 'utf8')) as Record<string, any>;
  delete raw.services.auth;
  delete raw.services.backend.start.env.AUTH_URL;
  delete raw.services.backend.websocket;
  raw.services.backend.start.env.SUITE_TEST_MARK = MARK;
  change(raw.services.backend);
  return TargetDescriptionSchema.parse(raw);
}

/** Every service this file starts carries this in its environment, so a leftover can be found whatever its pid. */
const MARK = `target-system-test-${process.pid}`;

/** The processes this file started that still run (found by the mark in /proc/<pid>/environ): none may be left behind. */
function runningServices(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`SUITE_TEST_MARK=${MARK}`);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

describe('a described target that does not do what its file says', () => {
  it('a lock the described request never waits for: the run stops before any scenario, naming hold.lock', async () => {
    const spare = path.join(dir, 'spare.sql');
    writeFileSync(spare, 'CREATE TABLE spare (id integer);');
    const description = describedBackend((backend) => {
      backend.database.setup.push(spare);
      backend.hold.lock = 'LOCK TABLE spare IN ACCESS EXCLUSIVE MODE';
    });
    await assert.rejects(TargetSystem.start(description, FILE, platform), /services\.backend\.hold\.lock: the described request does not wait on "LOCK TABLE spare IN ACCESS EXCLUSIVE MODE" \(it was answered 200 without waiting/);
    assert.deepEqual(runningServices(), []);
  });

  it('an ability whose endpoint is not there: the run stops naming the field, and leaves nothing running', async () => {
    const description = describedBackend((backend) => {
      backend.abilities = { leakReport: { request: { path: '/admin/no-such-report' } } };
    });
    await assert.rejects(TargetSystem.start(description, FILE, platform), /backend \(ours-by-database\): abilities\.leakReport\.request answered 404/);
    assert.deepEqual(runningServices(), []);
  });

  it('a JSON state source that does not answer: the run stops naming it', async () => {
    const description = describedBackend((backend) => {
      backend.state = [{ via: 'json', request: { path: '/admin/pool' }, fields: { active: 'connections.active' } }];
    });
    await assert.rejects(TargetSystem.start(description, FILE, platform), /services\.backend\.state\[0\]: GET \/admin\/pool answered 401/);
    assert.deepEqual(runningServices(), []);
  });

  it('a metric name the service does not expose: the run stops naming it', async () => {
    const description = describedBackend((backend) => {
      backend.state[0].names = { active: 'dbpool_connections_in_use', pending: 'dbpool_connections_pending' };
    });
    await assert.rejects(TargetSystem.start(description, FILE, platform), /services\.backend\.state\[0\]\.names: not in its answer: active: dbpool_connections_in_use/);
    assert.deepEqual(runningServices(), []);
  });

  it('a service that does not start: the run stops with its own last words', async () => {
    const description = describedBackend((backend) => {
      backend.start.env.POOL_SIZE = '0';
    });
    await assert.rejects(TargetSystem.start(description, FILE, platform), /services\.backend\.start: the service did not start \(exit 2\): backend: invalid configuration: POOL_SIZE="0" is not allowed/);
    assert.deepEqual(runningServices(), []);
  });

  it('a command that starts the service as its child (sh -c, npm start): stopping leaves neither behind', async () => {
    const system = await TargetSystem.start(
      describedBackend((backend) => {
        // `; exit` keeps the shell as the parent; without EXIT_WITH_PARENT the service would outlive it.
        const command = (backend.start.command as string[]).map((part) => `'${part}'`).join(' ');
        backend.start.command = ['sh', '-c', `${command}; exit $?`];
        delete backend.start.env.EXIT_WITH_PARENT;
      }),
      FILE,
      platform,
    );
    try {
      assert.equal((await system.targets.backend!.sendRequest()).status, 200);
      assert.equal(runningServices().length, 2, 'the shell and the service');
    } finally {
      await system.stop();
    }
    assert.deepEqual(runningServices(), []);
  });

  it('a service that stops answering: its requests come back as no answer, and stopping leaves nothing', async () => {
    const system = await TargetSystem.start(describedBackend(), FILE, platform);
    try {
      const backend = system.targets.backend!;
      assert.equal((await backend.sendRequest()).status, 200);
      // The service dies under the suite's feet (SIGKILL: no goodbye).
      process.kill(system.pidOf('backend')!, 'SIGKILL');
      const answer = await backend.sendRequest();
      assert.equal(answer.status, 0);
      assert.match(answer.error ?? '', /ECONNREFUSED|ECONNRESET|other side closed/);
    } finally {
      await system.stop();
    }
    assert.deepEqual(runningServices(), []);
  });
});
