/**
 * TEST_ENV=remote: its settings, and the whole suite pointed at a separately started `npm run stack`
 * (the deployment it did not start), green, with scenarios it cannot run skipped visibly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { unmetNeeds } from './capabilities';
import { loadSuiteSettings } from '../suite-settings';
import type { Deployment } from './deployment';
import { RemoteEnvironment, remoteTargetFromEnv } from './remote';
import { REPO_ROOT } from '../../testkit/service-process';

describe('TEST_ENV=remote settings', () => {
  it('names every missing variable in one error', () => {
    assert.throws(() => remoteTargetFromEnv({ AUTH_URL: 'http://127.0.0.1:2' }), {
      message: /^TEST_ENV=remote: missing BACKEND_URL, ADMIN_TOKEN\. It needs BACKEND_URL, AUTH_URL and ADMIN_TOKEN/,
    });
  });

  it('refuses a URL that is not one, and a database URL that is not PostgreSQL', () => {
    assert.throws(
      () => remoteTargetFromEnv({ BACKEND_URL: 'localhost:3000', AUTH_URL: 'http://a', ADMIN_TOKEN: 'x'.repeat(16), DATABASE_URL: 'mysql://x' }),
      { message: /BACKEND_URL="localhost:3000" is not an http\(s\) URL; DATABASE_URL is not a postgres:\/\/ or postgresql:\/\/ URL/ },
    );
  });

  it('takes the database URL as optional', () => {
    const target = remoteTargetFromEnv({ BACKEND_URL: 'http://127.0.0.1:1/', AUTH_URL: 'http://127.0.0.1:2', ADMIN_TOKEN: 't'.repeat(16) });
    assert.deepEqual(target, { backendUrl: 'http://127.0.0.1:1', authUrl: 'http://127.0.0.1:2', adminToken: 't'.repeat(16), auditDatabaseUrl: undefined });
  });

  it('says which service does not answer', async () => {
    const env = { TEST_ENV: 'remote', BACKEND_URL: 'http://127.0.0.1:1', AUTH_URL: 'http://127.0.0.1:1', ADMIN_TOKEN: 't'.repeat(16) };
    await assert.rejects(new RemoteEnvironment(loadSuiteSettings(env)).start(), /TEST_ENV=remote: backend at http:\/\/127\.0\.0\.1:1 does not answer \(ECONNREFUSED/);
  });
});

describe('scenarios a target cannot run', () => {
  const deployment: Deployment = { environment: 'remote', backendUrl: 'http://b', authUrl: 'http://a', adminToken: 't', auditDatabaseUrl: undefined, faultInjection: false };

  it('are named with the reason, per missing capability', () => {
    assert.equal(unmetNeeds(['@tc1'], deployment), undefined);
    assert.match(unmetNeeds(['@tc1', '@needs-database'], deployment) ?? '', /^not run on TEST_ENV=remote: @needs-database: needs database access .* set DATABASE_URL to run it$/);
    const both = unmetNeeds(['@needs-database', '@needs-fault-injection'], deployment) ?? '';
    assert.match(both, /@needs-database: .*; @needs-fault-injection: needs fault injection, and this target has it off/);
  });

  it('run where the capability is there', () => {
    assert.equal(unmetNeeds(['@needs-database', '@needs-fault-injection'], { ...deployment, auditDatabaseUrl: 'postgresql://x', faultInjection: true }), undefined);
  });
});

/** `npm run stack` in its own process, read the way a script would: its KEY=value lines up to READY. */
async function startStack(): Promise<{ child: ChildProcess; lines: Record<string, string> }> {
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', 'tools/stack.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, FAULT_INJECTION: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run stack printed no READY within 120 s: ${stderr}`)), 120_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') {
        clearTimeout(timer);
        resolve();
      }
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match) lines[match[1]!] = match[2]!;
    });
    child.once('exit', (code) => reject(new Error(`npm run stack exited with ${code}: ${stderr}`)));
  });
  return { child, lines };
}

function cucumber(env: Record<string, string>, args: string[], reportFile: string) {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '.bin', 'cucumber-js'), ...args, '--format', `json:${reportFile}`], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEST_ENV: 'remote', ...env, BACKEND_URL: env.BACKEND_URL ?? '', CI: 'true' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  type Step = { keyword: string; result: { status: string } };
  const features = JSON.parse(readFileSync(reportFile, 'utf8')) as Array<{ elements: Array<{ name: string; tags: Array<{ name: string }>; steps: Step[] }> }>;
  const scenarios = features.flatMap((feature) =>
    feature.elements.map((scenario) => {
      const statuses = scenario.steps.filter((step) => step.keyword.trim() !== 'Before' && step.keyword.trim() !== 'After').map((step) => step.result.status);
      const status = statuses.every((s) => s === 'passed') ? 'passed' : statuses.every((s) => s === 'skipped') ? 'skipped' : statuses.join(',');
      return { name: scenario.name, tags: scenario.tags.map((tag) => tag.name), status };
    }),
  );
  return { ...result, scenarios };
}

const portOpen = (url: URL) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('the suite with TEST_ENV=remote against a separately started npm run stack', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const reports = mkdtempSync(path.join(os.tmpdir(), 'remote-test-'));

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    rmSync(reports, { recursive: true, force: true });
    if (stack?.child.exitCode === null) {
      stack.child.kill('SIGINT');
      await new Promise((resolve) => stack.child.once('exit', resolve));
    }
  });

  it('the stack prints what a remote run needs', () => {
    for (const name of ['BACKEND_URL', 'AUTH_URL', 'ADMIN_TOKEN', 'DATABASE_URL']) assert.ok(stack.lines[name], `${name} printed`);
  });

  it('asks the target for its capabilities: the stack has fault injection off', async () => {
    const deployment = await new RemoteEnvironment(loadSuiteSettings({ TEST_ENV: 'remote', ...stack.lines })).start();
    assert.equal(deployment.faultInjection, false);
    assert.equal(deployment.auditDatabaseUrl, stack.lines.DATABASE_URL);
  });

  it('test case 1 is green, database audit included', () => {
    const run = cucumber(stack.lines, ['--tags', '@tc1'], path.join(reports, 'with-database.json'));
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(run.scenarios.length >= 5, `scenarios run: ${run.scenarios.length}`);
    assert.deepEqual(run.scenarios.filter((s) => s.status !== 'passed'), [], 'every scenario passed');
  });

  it('without DATABASE_URL, scenarios that need the database are skipped with the reason, and the run stays green', () => {
    const { DATABASE_URL: _withheld, ...withoutDatabase } = stack.lines;
    const run = cucumber({ ...withoutDatabase, DATABASE_URL: '' }, ['--tags', '@tc1 and @needs-database'], path.join(reports, 'without-database.json'));
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(run.scenarios.length >= 1, 'at least one scenario needs the database');
    for (const scenario of run.scenarios) {
      assert.equal(scenario.status, 'skipped', scenario.name);
      assert.ok(run.stderr.includes(`skipped "${scenario.name}": not run on TEST_ENV=remote: @needs-database:`), `reason printed for ${scenario.name}:\n${run.stderr}`);
    }
  });

  it('Ctrl-C stops the stack and leaves nothing answering', async () => {
    stack.child.kill('SIGINT');
    const code = await new Promise((resolve) => stack.child.once('exit', resolve));
    assert.ok(code === 0 || code === 130 || code === null, `exit code ${String(code)}`);
    for (const name of ['BACKEND_URL', 'AUTH_URL', 'DATABASE_URL']) {
      assert.equal(await portOpen(new URL(stack.lines[name]!)), false, `${name} no longer answers`);
    }
  });
});
