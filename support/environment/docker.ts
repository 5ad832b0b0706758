import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IDockerComposeOptions, IDockerComposeResult } from 'docker-compose';
import { SERVICES } from '../../env/service-settings';
import { REPO_ROOT } from '../../testkit/service-process';
import type { SuiteSettings } from '../suite-settings';
import type { Environment, Platform } from './deployment';
import { passedThrough } from './service-environment';

export const COMPOSE_FILE = path.join(REPO_ROOT, 'env', 'docker-compose.yml');
/** Every service container listens here; Docker publishes it on a free 127.0.0.1 port. */
export const SERVICE_PORT = 8080;
const POSTGRES_PORT = 5432;

/** The part of the docker-compose package this target uses (injected in tests: no engine here). */
export interface ComposeCommands {
  upAll(options?: IDockerComposeOptions): Promise<IDockerComposeResult>;
  down(options?: IDockerComposeOptions): Promise<IDockerComposeResult>;
  port(service: string, containerPort: number, options?: IDockerComposeOptions): Promise<{ data: { address: string; port: number } }>;
}

/** The stack's own variables the compose file reads, passed through from the run's settings when set. */
const STACK_VARIABLES = ['POSTGRES_MAX_CONNECTIONS', 'SERVICE_CONNECTION_LIMIT', 'DB_PREFIX'] as const;

/**
 * Each service's settings go into an env file of its own (`env_file: ${BACKEND_ENV_FILE}` in the
 * compose file), written from env/service-settings.ts: the compose file names no setting, so a new
 * setting needs no edit there. Returns the compose variables that point at the files.
 */
export function writeServiceEnvFiles(dir: string, settings: SuiteSettings): Record<string, string> {
  const files: Record<string, string> = {};
  for (const service of SERVICES) {
    const env = { ...passedThrough(service, settings.env), ...(service === 'backend' ? { FAULT_INJECTION: settings.faultInjection ? 'on' : 'off' } : {}) };
    const file = path.join(dir, `${service}.env`);
    writeFileSync(file, Object.entries(env).map(([name, value]) => `${name}=${value}\n`).join(''));
    files[`${service.toUpperCase()}_ENV_FILE`] = file;
  }
  return files;
}

const secret = (bytes: number) => randomBytes(bytes).toString('hex'); // per run; never stored

/**
 * The compose stack in env/docker-compose.yml: `up --build --wait` (returns once every health check
 * passes), the published ports read back with `port`, `down --volumes` at the end. Each run is its
 * own compose project, so nothing is shared with another run or left behind. The stack runs our own
 * services (targets/ours.yaml says how they are driven): the suite finds them running there.
 */
export class DockerEnvironment implements Environment {
  readonly name = 'docker';
  private options: IDockerComposeOptions | undefined;
  private envFilesDir: string | undefined;

  constructor(
    private readonly settings: SuiteSettings,
    private readonly compose: ComposeCommands = require('docker-compose') as ComposeCommands,
    private readonly project = `poolsuite-${secret(4)}`,
  ) {}

  async start(): Promise<Platform> {
    const { env } = this.settings;
    const secrets = { ADMIN_TOKEN: secret(24), POSTGRES_PASSWORD: secret(12), BACKEND_DB_PASSWORD: secret(12), AUTH_DB_PASSWORD: secret(12) };
    const passed = Object.fromEntries(STACK_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
    this.envFilesDir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-docker-'));
    const envFiles = writeServiceEnvFiles(this.envFilesDir, this.settings);
    this.options = {
      cwd: REPO_ROOT,
      config: COMPOSE_FILE,
      composeOptions: ['--project-name', this.project],
      // PATH, DOCKER_HOST and friends from this process; the stack's settings, env files and secrets on top.
      env: { ...process.env, ...passed, ...envFiles, ...secrets },
      log: false,
    };
    const waitSeconds = String(Number(env.DOCKER_WAIT_TIMEOUT) > 0 ? Number(env.DOCKER_WAIT_TIMEOUT) : 300);
    try {
      await this.run('up', () => this.compose.upAll({ ...this.options, commandOptions: ['--build', '--wait', '--wait-timeout', waitSeconds] }));
      const urlOf = async (service: string, port: number) => {
        const { data } = await this.run(`port ${service}`, () => this.compose.port(service, port, this.options));
        if (!Number.isInteger(data.port) || data.port <= 0) throw new Error(`docker compose port ${service} ${port}: no published port`);
        return { host: '127.0.0.1', port: data.port };
      };
      const backend = await urlOf('backend', SERVICE_PORT);
      const auth = await urlOf('auth', SERVICE_PORT);
      const postgres = await urlOf('postgres', POSTGRES_PORT);
      return {
        environment: this.name,
        adminUrl: `postgresql://postgres:${secrets.POSTGRES_PASSWORD}@${postgres.host}:${postgres.port}/postgres`,
        running: { backend: `http://${backend.host}:${backend.port}`, auth: `http://${auth.host}:${auth.port}` },
        secrets: { admin: secrets.ADMIN_TOKEN },
        dbPrefix: env.DB_PREFIX ?? 'poolsuite_',
      };
    } catch (error) {
      await this.stop().catch(() => undefined); // the first failure is the one worth reading
      throw error;
    }
  }

  async stop(): Promise<void> {
    const options = this.options;
    this.options = undefined;
    try {
      if (options) await this.run('down', () => this.compose.down({ ...options, commandOptions: ['--volumes', '--remove-orphans', '--timeout', '10'] }));
    } finally {
      if (this.envFilesDir) rmSync(this.envFilesDir, { recursive: true, force: true });
      this.envFilesDir = undefined;
    }
  }

  /** docker-compose rejects with its result (or a spawn error): turn either into one readable Error. */
  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (failure) {
      if ((failure as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('TEST_ENV=docker needs Docker with the compose plugin (`docker compose`) on PATH; it was not found');
      }
      const result = failure as Partial<IDockerComposeResult>;
      const output = `${result.err ?? ''}${result.out ?? ''}`.trim().split('\n').slice(-15).join('\n');
      const detail = output || (failure instanceof Error ? failure.message : String(failure));
      throw new Error(`docker compose ${what} (project ${this.project}) failed${result.exitCode != null ? ` with exit code ${result.exitCode}` : ''}:\n${detail}`);
    }
  }
}
