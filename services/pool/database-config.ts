import { z } from 'zod';

/**
 * DatabaseConfig: the pool's settings, validated once from the environment (and again for every
 * run-time change through the admin API), so that a bad value stops the service with one line
 * that names the variable, the value and what is allowed — never a silent default.
 */

/** The settings that may change while the service runs (PUT /admin/pool/config). */
export interface PoolLimits {
  poolSize: number;
  maxOverflow: number;
  poolTimeoutSeconds: number;
  maxQueue: number;
}

export interface DatabaseConfig extends PoolLimits {
  databaseUrl: string;
  statementTimeoutSeconds: number;
  leakThresholdSeconds: number;
  healthWarnUtilization: number;
  healthTimeoutWindowSeconds: number;
  healthCheckIntervalSeconds: number;
  /** LEAK_RECLAIM=on|off (default on): take leaked connections back, or only report them. */
  leakReclaim?: boolean;
  /** TRACE_CHECKOUTS=on|off (default off): record where each connection was taken. */
  traceCheckouts?: boolean;
  /** RECOVERY_AFTER: seconds health must stay critical with no connection coming back before recovery runs. */
  recoverAfterSeconds?: number;
  /** LONG_STATEMENT_LIMIT: statements of this service running longer are cancelled by recovery. */
  longStatementSeconds?: number;
  /** BREAKER_FAILURES: consecutive acquire timeouts that open the circuit breaker. */
  breakerFailures?: number;
  /** BREAKER_HALF_OPEN_AFTER: seconds the breaker stays open before it lets one probe through. */
  breakerHalfOpenAfterSeconds?: number;
}

interface NumericSetting {
  env: string;
  key: Exclude<keyof DatabaseConfig, 'databaseUrl'>;
  default: number;
  schema: z.ZodNumber;
  allowed: string;
}

const integer = (min: number, max: number) => z.number().int().min(min).max(max);
const seconds = (max: number) => z.number().gt(0).max(max);

/** One row per setting: the plan's defaults (POOL_SIZE=20, MAX_OVERFLOW=30, POOL_TIMEOUT=30). */
export const NUMERIC_SETTINGS: readonly NumericSetting[] = [
  { env: 'POOL_SIZE', key: 'poolSize', default: 20, schema: integer(1, 1000), allowed: 'an integer from 1 to 1000' },
  { env: 'MAX_OVERFLOW', key: 'maxOverflow', default: 30, schema: integer(0, 1000), allowed: 'an integer from 0 to 1000' },
  { env: 'POOL_TIMEOUT', key: 'poolTimeoutSeconds', default: 30, schema: seconds(3600), allowed: 'seconds above 0, at most 3600 (decimals allowed)' },
  { env: 'POOL_MAX_QUEUE', key: 'maxQueue', default: 100, schema: integer(0, 100_000), allowed: 'an integer from 0 to 100000' },
  { env: 'STATEMENT_TIMEOUT', key: 'statementTimeoutSeconds', default: 120, schema: seconds(86_400), allowed: 'seconds above 0, at most 86400 (decimals allowed)' },
  { env: 'LEAK_THRESHOLD', key: 'leakThresholdSeconds', default: 30, schema: seconds(86_400), allowed: 'seconds above 0, at most 86400 (decimals allowed)' },
  { env: 'HEALTH_WARN_UTILIZATION', key: 'healthWarnUtilization', default: 0.8, schema: z.number().gt(0).max(1), allowed: 'a ratio above 0, at most 1' },
  { env: 'HEALTH_TIMEOUT_WINDOW', key: 'healthTimeoutWindowSeconds', default: 10, schema: seconds(3600), allowed: 'seconds above 0, at most 3600' },
  { env: 'HEALTH_CHECK_INTERVAL', key: 'healthCheckIntervalSeconds', default: 1, schema: z.number().min(0.05).max(60), allowed: 'seconds from 0.05 to 60' },
  { env: 'RECOVERY_AFTER', key: 'recoverAfterSeconds', default: 10, schema: seconds(3600), allowed: 'seconds above 0, at most 3600 (decimals allowed)' },
  { env: 'LONG_STATEMENT_LIMIT', key: 'longStatementSeconds', default: 30, schema: seconds(86_400), allowed: 'seconds above 0, at most 86400 (decimals allowed)' },
  { env: 'BREAKER_FAILURES', key: 'breakerFailures', default: 5, schema: integer(1, 1000), allowed: 'an integer from 1 to 1000' },
  { env: 'BREAKER_HALF_OPEN_AFTER', key: 'breakerHalfOpenAfterSeconds', default: 5, schema: seconds(3600), allowed: 'seconds above 0, at most 3600 (decimals allowed)' },
];

/** A configuration value that is not allowed; the message is the one line an operator reads. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${setting}=${JSON.stringify(value)} is not allowed: expected ${allowed}`);
  }
}

function parseNumber(setting: NumericSetting, name: string, raw: unknown): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const parsed = setting.schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(name, raw, setting.allowed);
  return parsed.data;
}

/** Reads and validates the whole configuration; throws ConfigError on the first bad value. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', databaseUrl ? '<redacted>' : '', 'a postgres:// or postgresql:// URL');
  }
  const config: Record<string, number | string> = { databaseUrl };
  for (const setting of NUMERIC_SETTINGS) {
    const raw = env[setting.env];
    config[setting.key] = raw === undefined ? setting.default : parseNumber(setting, setting.env, raw);
  }
  return { ...(config as unknown as DatabaseConfig), leakReclaim: switchFromEnv(env, 'LEAK_RECLAIM', true), traceCheckouts: switchFromEnv(env, 'TRACE_CHECKOUTS', false) };
}

/** An on/off switch; anything else is refused by name. */
export function switchFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new ConfigError(name, raw, '"on" or "off"');
}

const LIMIT_KEYS: ReadonlyArray<keyof PoolLimits> = ['poolSize', 'maxOverflow', 'poolTimeoutSeconds', 'maxQueue'];

/**
 * Validates a run-time change of the pool limits (fields as the admin API names them) and
 * returns the complete new limits. Unknown fields are refused by name rather than ignored.
 */
export function applyLimitsChange(current: PoolLimits, change: unknown): PoolLimits {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    throw new ConfigError('body', change, `a JSON object with any of ${LIMIT_KEYS.join(', ')}`);
  }
  const next: PoolLimits = { ...current };
  for (const [key, raw] of Object.entries(change)) {
    const setting = NUMERIC_SETTINGS.find((s) => s.key === key);
    if (!setting || !LIMIT_KEYS.includes(key as keyof PoolLimits)) {
      throw new ConfigError(key, raw, `one of the fields ${LIMIT_KEYS.join(', ')}`);
    }
    // The API takes JSON numbers only: "5" as a string is a client bug worth naming.
    if (typeof raw !== 'number') throw new ConfigError(key, raw, setting.allowed);
    next[key as keyof PoolLimits] = parseNumber(setting, key, raw);
  }
  return next;
}

export function limitsOf(config: PoolLimits): PoolLimits {
  const { poolSize, maxOverflow, poolTimeoutSeconds, maxQueue } = config;
  return { poolSize, maxOverflow, poolTimeoutSeconds, maxQueue };
}
