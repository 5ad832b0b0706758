import { runService } from '../common/service-main';
import { DatabaseConnectionManager } from '../pool';
import { SERVICE_NAME, buildAuthApp } from './app';
import { authConfigFromEnv } from './config';
import { TokenIssuer } from './tokens';

void runService(SERVICE_NAME, async () => {
  const config = authConfigFromEnv();
  const manager = new DatabaseConnectionManager(SERVICE_NAME, config.database);
  await manager.start();
  const issuer = await TokenIssuer.create(config.tokenTtlSeconds);
  const app = buildAuthApp(config, manager, issuer);
  return { app, host: config.http.host, port: config.http.port, close: () => manager.close() };
});
