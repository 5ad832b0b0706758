/**
 * The whole suite pointed at a separately started `npm run stack` (TEST_ENV=remote: a deployment it
 * did not start), green, with the scenarios it cannot run skipped visibly. Runs cucumber: part of
 * `npm run test:slow`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { loadSuiteSettings } from '../suite-settings';
import { RemoteEnvironment } from './remote';
import { REPO_ROOT } from '../../testkit/service-process';

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

  it('says where the running services and their database are, and the admin secret they were given', async () => {
    const platform = await new RemoteEnvironment(loadSuiteSettings({ TEST_ENV: 'remote', ...stack.lines })).start();
    assert.deepEqual(platform.running, { backend: stack.lines.BACKEND_URL, auth: stack.lines.AUTH_URL });
    assert.equal(platform.secrets.admin, stack.lines.ADMIN_TOKEN);
    assert.equal(platform.adminUrl, stack.lines.DATABASE_URL);
  });

  it('a scenario that needs leaks on command is skipped, naming the ability: the stack has fault injection off', () => {
    const run = cucumber(stack.lines, ['--tags', '@tc4 and @needs-leak-on-command'], path.join(reports, 'no-fault-injection.json'));
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(run.scenarios.length >= 1);
    for (const scenario of run.scenarios) assert.equal(scenario.status, 'skipped', scenario.name);
    assert.match(run.stderr, /@needs-leak-on-command: needs the ability leakOnCommand, which ours does not declare/);
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
      assert.ok(run.stderr.includes(`skipped "${scenario.name}": not run on TARGET=ours, TEST_ENV=remote: @needs-database:`), `reason printed for ${scenario.name}:\n${run.stderr}`);
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
