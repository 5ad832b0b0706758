import type { SettingValues } from '../../env/service-settings';
import { readSettings } from './settings';

/** HOST, PORT (0 = any free port, announced on start), ADMIN_TOKEN and LOG_LEVEL. */
export type HttpConfig = SettingValues<'http'>;

export function httpConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  return readSettings(env, 'http');
}
