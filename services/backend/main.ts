import { runService } from '../common/service-main';
import { DatabaseConnectionManager } from '../pool';
import { SERVICE_NAME, buildBackendApp } from './app';
import { backendConfigFromEnv } from './config';

void runService(SERVICE_NAME, async () => {
  const config = backendConfigFromEnv();
  const manager = new DatabaseConnectionManager(SERVICE_NAME, config.database);
  await manager.start();
  const app = buildBackendApp(config, manager);
  return { app, host: config.http.host, port: config.http.port, close: () => manager.close() };
});
