import { ConfigError } from '../pool';

export interface HttpConfig {
  host: string;
  port: number;
  adminToken: string;
}

/** HOST, PORT (0 = any free port, announced on start) and ADMIN_TOKEN, validated like the pool's settings. */
export function httpConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  const host = env.HOST ?? '127.0.0.1';
  const rawPort = env.PORT ?? '0';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) throw new ConfigError('PORT', rawPort, 'an integer from 0 to 65535');
  const adminToken = env.ADMIN_TOKEN ?? '';
  if (adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN', adminToken ? '<redacted>' : '', 'a secret of at least 16 characters');
  return { host, port, adminToken };
}
