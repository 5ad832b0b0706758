/**
 * Reading env/docker-compose.yml as compose would, for the tests of the docker environment (the
 * compose file's wiring, and the image's commands run here): its services, its ${VAR} rules, each
 * service's environment in its container, and the variables our provider hands to compose.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadSuiteSettings } from '../suite-settings';
import { DockerEnvironment, type ComposeCommands } from './docker';
import { REPO_ROOT } from '../../testkit/service-process';

export type ComposeService = {
  image?: string;
  env_file?: string[];
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};

export const ENV_DIR = path.join(REPO_ROOT, 'env');
export const raw = readFileSync(path.join(ENV_DIR, 'docker-compose.yml'), 'utf8');
export const VARIABLE = /\$\{(\w+)(?::([-?])([^}]*))?\}/g;

/**
 * The variables the provider hands to `docker compose` (the injected module records them). Its
 * env files stay until the file's `after` removes them (a real run removes them at `down`).
 */
export async function providerEnv(): Promise<NodeJS.ProcessEnv> {
  let env: NodeJS.ProcessEnv = {};
  const compose: ComposeCommands = {
    upAll: async (options) => ((env = options?.env ?? {}), { exitCode: 0, out: '', err: '', truncated: { out: false, err: false } }),
    down: async () => ({ exitCode: 0, out: '', err: '', truncated: { out: false, err: false } }),
    port: async () => ({ data: { address: '127.0.0.1', port: 1 } }),
  };
  const provider = new DockerEnvironment(loadSuiteSettings({ TEST_ENV: 'docker' }), compose);
  await provider.start();
  providers.push(provider);
  return env;
}
const providers: DockerEnvironment[] = [];

/** Stops what providerEnv started (its env files): each test file's `after`. */
export async function stopProviders(): Promise<void> {
  for (const provider of providers.splice(0)) await provider.stop();
}

/** A service's environment in the container: its env file, then its `environment` (which wins, as in compose). */
export function containerEnv(service: ComposeService): Record<string, string> {
  const fromFile = (service.env_file ?? []).flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('=')));
  const env = Object.fromEntries(fromFile.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { ...env, ...(service.environment ?? {}) };
}

/** Compose's own interpolation rules for ${VAR}, ${VAR:-default} and ${VAR:?error}. */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(VARIABLE, (_match, name: string, kind: string | undefined, rest: string) => {
    const value = env[name];
    if (value) return value;
    if (kind === '-') return rest;
    throw new Error(`the compose file needs ${name} and the provider does not give it (${rest || 'no default'})`);
  });
}

export const composeOf = (text: string) => parse(text, { merge: true }) as { services: Record<string, ComposeService> };

