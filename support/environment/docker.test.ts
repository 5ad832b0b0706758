/**
 * TEST_ENV=docker without a Docker engine: the provider's compose commands, checked against an
 * injected docker-compose module (which commands, in which order, with which options and variables),
 * and the real module's failure when Docker is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { IDockerComposeOptions, IDockerComposeResult } from 'docker-compose';
import { loadSuiteSettings } from '../suite-settings';
import { COMPOSE_FILE, DockerEnvironment, SERVICE_PORT, type ComposeCommands } from './docker';
import { REPO_ROOT } from '../../testkit/service-process';

interface Call {
  command: string;
  args: unknown[];
  options: IDockerComposeOptions | undefined;
}

const ok: IDockerComposeResult = { exitCode: 0, out: '', err: '', truncated: { out: false, err: false } };
const PORTS: Record<string, number> = { backend: 49001, auth: 49002, postgres: 49003 };

function fakeCompose(overrides: Partial<ComposeCommands> = {}): { compose: ComposeCommands; calls: Call[] } {
  const calls: Call[] = [];
  const compose: ComposeCommands = {
    upAll: async (options) => (calls.push({ command: 'upAll', args: [], options }), ok),
    down: async (options) => (calls.push({ command: 'down', args: [], options }), ok),
    port: async (service, containerPort, options) => {
      calls.push({ command: 'port', args: [service, containerPort], options });
      return { data: { address: '127.0.0.1', port: PORTS[service] ?? 0 } };
    },
    ...overrides,
  };
  return { compose, calls };
}

const settings = (extra: Record<string, string> = {}) => loadSuiteSettings({ TEST_ENV: 'docker', PATH: process.env.PATH, ...extra });

describe('TEST_ENV=docker provider', () => {
  it('brings the stack up with a build and a health wait, reads the published ports, and says where the running services and PostgreSQL are', async () => {
    const { compose, calls } = fakeCompose();
    const environment = new DockerEnvironment(settings({ POOL_SIZE: '7', AUTH_POOL_SIZE: '3', AUTH_TOKEN_TTL: '60' }), compose, 'poolsuite-test');
    const platform = await environment.start();

    assert.deepEqual(calls.map((c) => [c.command, ...c.args]), [['upAll'], ['port', 'backend', SERVICE_PORT], ['port', 'auth', SERVICE_PORT], ['port', 'postgres', 5432]]);
    const up = calls[0]!.options!;
    assert.equal(up.config, COMPOSE_FILE);
    assert.equal(up.cwd, REPO_ROOT);
    assert.deepEqual(up.composeOptions, ['--project-name', 'poolsuite-test']);
    assert.deepEqual(up.commandOptions, ['--build', '--wait', '--wait-timeout', '300']);
    const env = up.env!;
    // Each service's settings reach it through an env file written from env/service-settings.ts.
    const envFile = (name: string) => readFileSync(env[name]!, 'utf8').trim().split('\n').sort();
    assert.deepEqual(envFile('BACKEND_ENV_FILE'), ['FAULT_INJECTION=on', 'POOL_SIZE=7'], 'the backend gets POOL_SIZE, and fault injection from env/docker.env');
    assert.deepEqual(envFile('AUTH_ENV_FILE'), ['POOL_SIZE=3', 'TOKEN_TTL=60'], 'the auth service gets AUTH_POOL_SIZE as POOL_SIZE, and nothing meant for the backend');
    assert.equal(env.POOL_SIZE, undefined, 'no setting travels as a compose variable');
    assert.equal(env.SERVICE_CONNECTION_LIMIT, '60');
    for (const name of ['ADMIN_TOKEN', 'POSTGRES_PASSWORD', 'BACKEND_DB_PASSWORD', 'AUTH_DB_PASSWORD']) {
      assert.match(env[name] ?? '', /^[0-9a-f]{24,}$/, `${name} is made per run`);
    }
    assert.equal(env.PATH, process.env.PATH, 'docker itself is found on the caller PATH');

    // The stack runs our own services: targets/ours.yaml drives them where they run, with the admin secret they were given.
    assert.deepEqual(platform, {
      environment: 'docker',
      adminUrl: `postgresql://postgres:${env.POSTGRES_PASSWORD}@127.0.0.1:49003/postgres`,
      running: { backend: 'http://127.0.0.1:49001', auth: 'http://127.0.0.1:49002' },
      secrets: { admin: env.ADMIN_TOKEN },
      dbPrefix: 'poolsuite_',
    });

    await environment.stop();
    assert.equal(existsSync(env.BACKEND_ENV_FILE!), false, 'the env files are removed with the stack');
    const down = calls.at(-1)!;
    assert.equal(down.command, 'down');
    assert.deepEqual(down.options!.composeOptions, ['--project-name', 'poolsuite-test'], 'down removes the same project');
    assert.deepEqual(down.options!.commandOptions, ['--volumes', '--remove-orphans', '--timeout', '10']);
    await environment.stop();
    assert.equal(calls.filter((c) => c.command === 'down').length, 1, 'a second stop does nothing');
  });

  it('makes new secrets and a new project for every run', async () => {
    const first = fakeCompose();
    const second = fakeCompose();
    const environments = [new DockerEnvironment(settings(), first.compose), new DockerEnvironment(settings(), second.compose)];
    for (const environment of environments) await environment.start();
    // Stopped, so their env-file directories are removed like a real run's.
    for (const environment of environments) await environment.stop();
    const [a, b] = [first.calls[0]!.options!, second.calls[0]!.options!];
    assert.notEqual(a.env!.ADMIN_TOKEN, b.env!.ADMIN_TOKEN);
    assert.notDeepEqual(a.composeOptions, b.composeOptions);
  });

  it('when a service never turns healthy: takes the stack down and says why, with compose output', async () => {
    const failure: IDockerComposeResult = { exitCode: 1, out: '', err: 'container poolsuite-test-backend-1 is unhealthy', truncated: { out: false, err: false } };
    const { compose, calls } = fakeCompose({ upAll: async (options) => { calls.push({ command: 'upAll', args: [], options }); throw failure; } });
    const environment = new DockerEnvironment(settings({ DOCKER_WAIT_TIMEOUT: '45' }), compose, 'poolsuite-test');
    await assert.rejects(environment.start(), /docker compose up \(project poolsuite-test\) failed with exit code 1:\ncontainer poolsuite-test-backend-1 is unhealthy/);
    assert.deepEqual(calls[0]!.options!.commandOptions, ['--build', '--wait', '--wait-timeout', '45']);
    assert.deepEqual(calls.map((c) => c.command), ['upAll', 'down'], 'nothing is left running');
  });

  it('refuses a stack whose service publishes no port', async () => {
    const { compose, calls } = fakeCompose({
      port: async (service, containerPort, options) => (calls.push({ command: 'port', args: [service, containerPort], options }), { data: { address: '', port: Number.NaN } }),
    });
    await assert.rejects(new DockerEnvironment(settings(), compose).start(), /docker compose port backend 8080: no published port/);
    assert.equal(calls.at(-1)!.command, 'down');
  });

  it('with the real docker-compose package and no Docker on PATH: one clear error', async () => {
    const environment = new DockerEnvironment(loadSuiteSettings({ TEST_ENV: 'docker', PATH: '/nonexistent' }));
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent'; // the package spawns `docker` with this process's PATH lookup
    try {
      await assert.rejects(environment.start(), /TEST_ENV=docker needs Docker with the compose plugin \(`docker compose`\) on PATH/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
