import { httpConfigFromEnv, type HttpConfig } from '../common/http-config';
import { readSettings } from '../common/settings';
import { databaseConfigFromEnv, type DatabaseConfig } from '../pool';

export interface AuthConfig {
  http: HttpConfig;
  /** Its own pool, role and CONNECTION LIMIT: the same POOL_SIZE, MAX_OVERFLOW, … variables as the backend. */
  database: DatabaseConfig;
  /** TOKEN_TTL: lifetime of an issued token, in seconds (short: there is no revocation list). */
  tokenTtlSeconds: number;
}

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  return { http: httpConfigFromEnv(env), database: databaseConfigFromEnv(env), ...readSettings(env, 'auth') };
}
