import { applyRuntimeChange, readSettings } from '../common/settings';
import type { SettingValues } from '../../env/service-settings';

/**
 * DatabaseConfig: the pool's settings (the `database` rows of env/service-settings.ts), validated
 * once from the environment; the four limits may change while the service runs.
 */
export type DatabaseConfig = SettingValues<'database'>;

/** The settings that may change while the service runs (PUT /admin/pool/config). */
export type PoolLimits = Pick<DatabaseConfig, 'poolSize' | 'maxOverflow' | 'poolTimeoutSeconds' | 'maxQueue'>;

/** Reads and validates the pool's settings; throws ConfigError on the first bad value. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  return readSettings(env, 'database');
}

/** Validates a run-time change of the limits (fields as the admin API names them); returns the complete new limits. */
export function applyLimitsChange(current: PoolLimits, change: unknown): PoolLimits {
  return applyRuntimeChange('pool', limitsOf(current), change);
}

export function limitsOf(config: PoolLimits): PoolLimits {
  const { poolSize, maxOverflow, poolTimeoutSeconds, maxQueue } = config;
  return { poolSize, maxOverflow, poolTimeoutSeconds, maxQueue };
}
