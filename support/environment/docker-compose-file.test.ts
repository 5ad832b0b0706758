/**
 * env/docker-compose.yml and env/Dockerfile, checked as far as a machine without a Docker engine
 * allows, without starting anything: the compose file parses and wires services, health checks,
 * ports and variables together. (The image's commands run here: docker-image.slow.test.ts. Not run
 * here: building the image, pulling postgres:18, `docker compose up`.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { SERVICE_SETTINGS } from '../../env/service-settings';
import { SERVICE_PORT } from './docker';
import { REPO_ROOT } from '../../testkit/service-process';
import { ENV_DIR, VARIABLE, composeOf, interpolate, providerEnv, raw, stopProviders } from './compose-file';

after(stopProviders);

describe('env/docker-compose.yml', () => {
  const { services } = composeOf(raw);

  it('has PostgreSQL, a one-shot provisioning step and both services', () => {
    assert.deepEqual(Object.keys(services).sort(), ['auth', 'backend', 'postgres', 'provision']);
    assert.match(services.postgres!.image ?? '', /^postgres:\d+/);
  });

  it('builds every service image from env/Dockerfile, with a command the image build compiles', () => {
    const image = JSON.parse(readFileSync(path.join(ENV_DIR, 'tsconfig.image.json'), 'utf8')) as { files: string[] };
    const compiled = image.files.map((file) => path.relative(REPO_ROOT, path.resolve(ENV_DIR, file)).replace(/\.ts$/, '.js'));
    for (const name of ['provision', 'backend', 'auth']) {
      const service = services[name]!;
      assert.ok(service.build, `${name} has a build`);
      const context = path.resolve(ENV_DIR, service.build.context);
      assert.equal(context, REPO_ROOT, `${name}: the build context is the repository root`);
      assert.ok(existsSync(path.join(context, service.build.dockerfile)), `${name}: ${service.build.dockerfile} exists`);
      const entry = service.command?.[0] ?? '';
      assert.ok(compiled.includes(entry), `${name}: its command ${entry} is one of the image's compiled entry points ${compiled.join(', ')}`);
      assert.ok(existsSync(path.join(REPO_ROOT, entry.replace(/\.js$/, '.ts'))), `${name}: ${entry} has its source`);
    }
  });

  it('health-checks PostgreSQL and each service through the contract GET /health, on the port the provider reads', () => {
    assert.deepEqual(services.postgres!.healthcheck?.test.slice(0, 2), ['CMD', 'pg_isready']);
    for (const name of ['backend', 'auth']) {
      const service = services[name]!;
      assert.match(service.healthcheck?.test.join(' ') ?? '', new RegExp(`http://127\\.0\\.0\\.1:${SERVICE_PORT}/health`), `${name} health check`);
      assert.deepEqual(service.ports, [`127.0.0.1::${SERVICE_PORT}`], `${name}: published on 127.0.0.1 only, on a port Docker picks`);
      assert.equal(service.environment?.PORT, String(SERVICE_PORT));
      assert.equal(service.environment?.HOST, '0.0.0.0');
    }
    assert.deepEqual(services.postgres!.ports, ['127.0.0.1::5432']);
  });

  it('starts the services only after provisioning succeeded, and provisioning only on a healthy PostgreSQL', () => {
    assert.deepEqual(services.provision!.depends_on, { postgres: { condition: 'service_healthy' } });
    for (const name of ['backend', 'auth']) {
      assert.equal(services[name]!.depends_on?.provision?.condition, 'service_completed_successfully', name);
    }
  });

  it('names no service setting: each service reads its settings from the env file the provider writes', async () => {
    const settingNames = new Set<string>(SERVICE_SETTINGS.filter((row) => !('wiring' in row && row.wiring)).map((row) => row.variable));
    for (const name of ['backend', 'auth']) {
      const service = services[name]!;
      assert.deepEqual(service.env_file, [`\${${name.toUpperCase()}_ENV_FILE:-/dev/null}`], `${name} reads its env file (none: the defaults)`);
      const named = Object.keys(service.environment ?? {}).filter((variable) => settingNames.has(variable));
      assert.deepEqual(named, [], `${name}: settings named in the compose file instead of env/service-settings.ts`);
      for (const variable of ['ADMIN_TOKEN', 'DATABASE_URL', 'HOST', 'PORT']) assert.ok(variable in (service.environment ?? {}), `${name} gets ${variable}`);
    }
    const required = new Set([...raw.matchAll(VARIABLE)].filter((m) => m[2] === '?').map((m) => m[1]));
    assert.deepEqual([...required].sort(), ['ADMIN_TOKEN', 'AUTH_DB_PASSWORD', 'BACKEND_DB_PASSWORD', 'POSTGRES_PASSWORD']);
    const resolved = composeOf(interpolate(raw, await providerEnv())).services;
    assert.match(readFileSync(resolved.backend!.env_file![0]!, 'utf8'), /^FAULT_INJECTION=on$/m);
  });

  it('gives each service the role and password that provisioning creates for it', async () => {
    const env = await providerEnv();
    const resolved = composeOf(interpolate(raw, env)).services;
    const provision = resolved.provision!.environment!;
    for (const name of ['backend', 'auth']) {
      const url = new URL(resolved[name]!.environment!.DATABASE_URL!);
      assert.equal(url.hostname, 'postgres');
      assert.equal(url.username, `${provision.DB_PREFIX}${name}`);
      assert.equal(url.password, provision[`${name.toUpperCase()}_DB_PASSWORD`]);
      assert.equal(url.pathname, `/${provision.DB_PREFIX}${name}`);
    }
    assert.equal(new URL(provision.ADMIN_DATABASE_URL!).password, env.POSTGRES_PASSWORD);
  });
});

describe('env/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ENV_DIR, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('copies only what exists and what .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    assert.ok(sources.length >= 4, `COPY lines found: ${sources.join(', ')}`);
    for (const source of sources) {
      assert.ok(existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
      assert.ok(!ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is not in .dockerignore`);
    }
    assert.match(dockerfile, /RUN npx tsc -p env\/tsconfig.image.json/);
    assert.match(dockerfile, /npm ci --omit=dev/);
  });
});
