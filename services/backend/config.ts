import { httpConfigFromEnv, type HttpConfig } from '../common/http-config';
import { readSettings } from '../common/settings';
import { databaseConfigFromEnv, type DatabaseConfig } from '../pool';

export interface BackendConfig {
  http: HttpConfig;
  database: DatabaseConfig;
  /** FAULT_INJECTION=on enables the deliberately buggy endpoints; never on by default. */
  faultInjection: boolean;
  /** AUTH_URL: the auth service whose published keys (JWKS) verify WebSocket tokens; without it /ws is off. */
  authUrl?: string | undefined;
}

export function backendConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  const { faultInjection, authUrl } = readSettings(env, 'backend');
  return { http: httpConfigFromEnv(env), database: databaseConfigFromEnv(env), faultInjection, authUrl };
}
