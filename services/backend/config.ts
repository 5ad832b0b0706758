import { httpConfigFromEnv, type HttpConfig } from '../common/http-config';
import { ConfigError, databaseConfigFromEnv, switchFromEnv, type DatabaseConfig } from '../pool';

export interface BackendConfig {
  http: HttpConfig;
  database: DatabaseConfig;
  /** FAULT_INJECTION=on enables the deliberately buggy endpoints; never on by default. */
  faultInjection: boolean;
  /** AUTH_URL: the auth service whose published keys (JWKS) verify WebSocket tokens; without it /ws is off. */
  authUrl?: string;
}

function authUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.AUTH_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new ConfigError('AUTH_URL', raw, 'an http:// or https:// URL of the auth service');
  return raw;
}

export function backendConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  return {
    http: httpConfigFromEnv(env),
    database: databaseConfigFromEnv(env),
    faultInjection: switchFromEnv(env, 'FAULT_INJECTION', false),
    authUrl: authUrlFromEnv(env),
  };
}
