import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parallelWorker, workerDbPrefix } from './parallel';

/** The run's settings: env/<TEST_ENV>.env, overridden by the process environment. */
export interface SuiteSettings {
  testEnv: string;
  env: Record<string, string | undefined>;
  /** Role and database names are <dbPrefix><service>; a parallel worker on a shared server adds w<id>_ (support/parallel.ts). */
  dbPrefix: string;
  serviceConnectionLimit: number;
  postgresMaxConnections: number;
  faultInjection: boolean;
  /** TARGET: the target description the run judges (targets/<name>.yaml, or a path); `ours` by default. */
  target: string;
}

const ENV_DIR = path.resolve(__dirname, '..', 'env');

function positiveInteger(env: Record<string, string | undefined>, name: string): number {
  const raw = env[name];
  const value = Number(raw);
  if (!raw || !Number.isInteger(value) || value < 1) throw new Error(`${name}=${JSON.stringify(raw)} is not allowed: expected a positive integer`);
  return value;
}

export function loadSuiteSettings(processEnv: NodeJS.ProcessEnv = process.env): SuiteSettings {
  const testEnv = processEnv.TEST_ENV ?? 'embedded';
  let fileEnv: Record<string, string | undefined>;
  try {
    fileEnv = parseEnv(readFileSync(path.join(ENV_DIR, `${testEnv}.env`), 'utf8'));
  } catch {
    throw new Error(`TEST_ENV=${testEnv} has no settings file env/${testEnv}.env`);
  }
  const env = { ...fileEnv, ...processEnv };
  return {
    testEnv,
    env,
    dbPrefix: workerDbPrefix(env.DB_PREFIX ?? 'poolsuite_', testEnv, parallelWorker(processEnv)),
    serviceConnectionLimit: positiveInteger(env, 'SERVICE_CONNECTION_LIMIT'),
    postgresMaxConnections: positiveInteger(env, 'POSTGRES_MAX_CONNECTIONS'),
    faultInjection: env.FAULT_INJECTION === 'on',
    target: env.TARGET?.trim() || 'ours',
  };
}
