/**
 * The image's commands, built here with the image's own build step (env/tsconfig.image.json) and run
 * with the compose file's own environment: they provision PostgreSQL and serve /health so that the
 * compose health check passes. Starts service processes: part of `npm run test:slow`. (The compose
 * file's wiring is docker-compose-file.test.ts; building the image and `docker compose up` need a
 * Docker engine, which this machine has not.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVICE_PORT } from './docker';
import { EmbeddedDatabase } from '../../testkit/embedded-database';
import { REPO_ROOT } from '../../testkit/service-process';
import { ENV_DIR, composeOf, containerEnv, interpolate, providerEnv, raw, stopProviders } from './compose-file';

after(stopProviders);

describe('the image commands, built and run here with the compose environment (no Docker)', () => {
  const build = path.join(REPO_ROOT, '.run', 'image-build');
  const database = new EmbeddedDatabase(100);
  const children: ChildProcess[] = [];
  let serviceEnv: Record<string, NodeJS.ProcessEnv> = {};

  before(async () => {
    rmSync(build, { recursive: true, force: true });
    // The Dockerfile's build step, into .run/ so the compiled files find node_modules.
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ENV_DIR, 'tsconfig.image.json'), '--outDir', build], { cwd: REPO_ROOT, stdio: 'pipe' });
    const adminUrl = new URL(await database.start());
    const resolved = composeOf(interpolate(raw, { ...(await providerEnv()), POSTGRES_PASSWORD: decodeURIComponent(adminUrl.password) })).services;
    // Inside the compose network PostgreSQL is `postgres:5432`; here it is the embedded server.
    const local = (env: Record<string, string>) =>
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace('@postgres:5432/', `@127.0.0.1:${adminUrl.port}/`)]));
    serviceEnv = Object.fromEntries(['provision', 'backend', 'auth'].map((name) => [name, local(containerEnv(resolved[name]!))]));
  });

  after(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await database.stop();
    rmSync(build, { recursive: true, force: true });
  });

  const run = (entry: string, env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [path.join(build, entry)], { cwd: build, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('provisions both roles and databases with their connection limit', () => {
    const result = run('services/db/provision-main.js', serviceEnv.provision!);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'provisioned poolsuite_backend (connection limit 60), poolsuite_auth (connection limit 60)');
  });

  for (const name of ['backend', 'auth']) {
    it(`starts ${name}, and the compose health check passes against it`, async () => {
      const env = { ...serviceEnv[name]!, PORT: '0', HOST: '127.0.0.1' }; // port 8080 may be taken on this machine
      const child = spawn(process.execPath, [path.join(build, `services/${name}/main.js`)], { cwd: build, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          const match = /listening on (http:\/\/\S+)/.exec(chunk.toString());
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
      });
      const check = composeOf(raw).services[name]!.healthcheck!.test;
      assert.equal(check[0], 'CMD');
      const [command, ...args] = check.slice(1).map((part) => part.replace(`http://127.0.0.1:${SERVICE_PORT}`, url));
      assert.equal(command, 'node');
      const probe = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
      assert.equal(probe.status, 0, `health check against ${url}: ${probe.stderr}`);
    });
  }

  it('the compose health check fails when nothing answers', () => {
    const check = composeOf(raw).services.backend!.healthcheck!.test.slice(2).map((part) => part.replace(`127.0.0.1:${SERVICE_PORT}`, '127.0.0.1:1'));
    assert.equal(spawnSync(process.execPath, check, { timeout: 20_000 }).status, 1);
  });
});
