/**
 * A run whose target will not start: cucumber stops before any scenario, saying why, and leaves
 * nothing behind — no PostgreSQL (cucumber runs no AfterAll when BeforeAll fails, so the start
 * itself must stop what it began) and no data directory. Runs cucumber: part of `npm run test:slow`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../testkit/service-process';

// The child's TMPDIR: its embedded PostgreSQL's data directory lands here, so what it leaves is findable.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-failed-start-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** targets/ours-by-database.yaml, backend only, started with a pool size it refuses. */
function targetThatWillNotStart(): string {
  const raw = parse(readFileSync(path.join(REPO_ROOT, 'targets', 'ours-by-database.yaml'), 'utf8'), { merge: true }) as Record<string, any>;
  delete raw.services.auth;
  delete raw.services.backend.start.env.AUTH_URL;
  delete raw.services.backend.websocket;
  raw.services.backend.start.env.POOL_SIZE = '0';
  const file = path.join(scratch, 'will-not-start.yaml');
  writeFileSync(file, stringify(raw));
  return file;
}

/** Processes whose command line names a path under the scratch directory (PostgreSQL's -D). */
function processesUsing(dir: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return command.includes(dir) ? [`${pid}: ${command}`] : [];
      } catch {
        return []; // gone, or not ours to read
      }
    });
}

describe('a run whose target will not start', () => {
  it('stops before any scenario naming the reason, and leaves no PostgreSQL and no data directory', () => {
    const tmp = path.join(scratch, 'tmp');
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    // Like /tmp: initdb runs as the postgres user and reads its password file from here.
    chmodSync(scratch, 0o755);
    chmodSync(tmp, 0o1777);
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '.bin', 'cucumber-js'), '--profile', 'quick', '--tags', '@tc1', '--format', 'summary'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TARGET: targetThatWillNotStart(), TEST_ENV: 'embedded', TMPDIR: tmp, ALLURE_RESULTS_DIR: path.join(scratch, 'allure-results'), CI: 'true' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.notEqual(run.status, 0, 'the run fails');
    assert.match(run.stderr + run.stdout, /services\.backend\.start: the service did not start \(exit 2\): backend: invalid configuration: POOL_SIZE="0"/);
    assert.deepEqual(processesUsing(tmp), [], 'no process of the run is left');
    assert.deepEqual(readdirSync(tmp).filter((entry) => entry.startsWith('pool-suite-pg-')), [], 'no PostgreSQL data directory is left');
  });
});
