import type { ServiceName } from '../env/service-settings';
import { ServiceClient } from './clients/service-client';
import { createEnvironment, type Deployment, type Environment } from './environment';
import { shapeOf, type PoolShape } from './pool-shape';
import { loadSuiteSettings, type SuiteSettings } from './suite-settings';
import { onInterrupt } from '../testkit/interrupt';

export type { ServiceName };

/** The system the whole run talks to: started once (PostgreSQL once per run), stopped at the end. */
export interface RunningSystem {
  settings: SuiteSettings;
  deployment: Deployment;
  /** Each service's pool shape at start-up: every scenario begins from it. */
  startupShapes: Partial<Record<ServiceName, PoolShape>>;
}

let environment: Environment | undefined;
let running: RunningSystem | undefined;
let cancelInterruptCleanup: (() => void) | undefined;

export async function startSystem(): Promise<RunningSystem> {
  const settings = loadSuiteSettings();
  environment = createEnvironment(settings);
  const started = environment;
  cancelInterruptCleanup = onInterrupt(() => started.stop());
  const deployment = await environment.start();
  const startupShapes: RunningSystem['startupShapes'] = {};
  for (const [service, url] of [['backend', deployment.backendUrl], ['auth', deployment.authUrl]] as const) {
    if (!url) continue;
    const { config } = await new ServiceClient(service, url, deployment.adminToken).poolSnapshot();
    startupShapes[service] = shapeOf(config);
  }
  running = { settings, deployment, startupShapes };
  return running;
}

export async function stopSystem(): Promise<void> {
  await environment?.stop();
  cancelInterruptCleanup?.();
  environment = undefined;
  running = undefined;
}

export function runningSystem(): RunningSystem {
  if (!running) throw new Error('the system under test is not running (BeforeAll did not start it)');
  return running;
}
