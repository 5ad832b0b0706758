import { runService } from '../common/service-main';
import { DatabaseConnectionManager } from '../pool';
import { SERVICE_NAME, buildBackendApp } from './app';
import { backendConfigFromEnv } from './config';
import { remoteTokenVerifier } from './token-verifier';

void runService(SERVICE_NAME, async () => {
  const config = backendConfigFromEnv();
  const manager = new DatabaseConnectionManager(SERVICE_NAME, config.database);
  await manager.start();
  const tokenVerifier = config.authUrl ? remoteTokenVerifier(config.authUrl) : undefined;
  const app = buildBackendApp(config, manager, { tokenVerifier });
  return { app, host: config.http.host, port: config.http.port, close: () => manager.close() };
});
