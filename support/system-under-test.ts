import { loadSuiteSettings, type SuiteSettings } from './config';
import { ServiceClient } from './clients/service-client';
import { poolLimitsOf, type PoolLimits } from './clients/contract';
import { createEnvironment, type Deployment, type Environment } from './environment';
import { onInterrupt } from './environment/interrupt';

export type ServiceName = 'backend' | 'auth';

/** The system the whole run talks to: started once (PostgreSQL once per run), stopped at the end. */
export interface RunningSystem {
  settings: SuiteSettings;
  deployment: Deployment;
  /** Each service's pool limits at start-up: every scenario begins from these. */
  startupLimits: Partial<Record<ServiceName, PoolLimits>>;
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
  const startupLimits: RunningSystem['startupLimits'] = {};
  for (const [service, url] of [['backend', deployment.backendUrl], ['auth', deployment.authUrl]] as const) {
    if (!url) continue;
    const { config } = await new ServiceClient(service, url, deployment.adminToken).poolSnapshot();
    startupLimits[service] = poolLimitsOf(config);
  }
  running = { settings, deployment, startupLimits };
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
