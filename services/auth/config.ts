import { httpConfigFromEnv, type HttpConfig } from '../common/http-config';
import { ConfigError, databaseConfigFromEnv, type DatabaseConfig } from '../pool';

export interface AuthConfig {
  http: HttpConfig;
  /** Its own pool, role and CONNECTION LIMIT: the same POOL_SIZE, MAX_OVERFLOW, … variables as the backend. */
  database: DatabaseConfig;
  /** TOKEN_TTL: lifetime of an issued token, in seconds (short: there is no revocation list). */
  tokenTtlSeconds: number;
}

const TOKEN_TTL = { min: 10, max: 86_400, default: 900 };

export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const raw = env.TOKEN_TTL;
  const ttl = raw === undefined ? TOKEN_TTL.default : Number(raw);
  if (raw !== undefined && (!/^\d+$/.test(raw) || ttl < TOKEN_TTL.min || ttl > TOKEN_TTL.max)) {
    throw new ConfigError('TOKEN_TTL', raw, `whole seconds from ${TOKEN_TTL.min} to ${TOKEN_TTL.max}`);
  }
  return { http: httpConfigFromEnv(env), database: databaseConfigFromEnv(env), tokenTtlSeconds: ttl };
}
