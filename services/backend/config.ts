import { httpConfigFromEnv, switchFromEnv, type HttpConfig } from '../common/http-config';
import { databaseConfigFromEnv, type DatabaseConfig } from '../pool';

export interface BackendConfig {
  http: HttpConfig;
  database: DatabaseConfig;
  /** FAULT_INJECTION=on enables the deliberately buggy endpoints; never on by default. */
  faultInjection: boolean;
}

export function backendConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  return {
    http: httpConfigFromEnv(env),
    database: databaseConfigFromEnv(env),
    faultInjection: switchFromEnv(env, 'FAULT_INJECTION', false),
  };
}
