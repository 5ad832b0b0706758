import type { ServiceName } from '../env/service-settings';
import { onInterrupt } from '../testkit/interrupt';
import { ServiceClient } from './clients/service-client';
import { createEnvironment, type Deployment, type Environment } from './environment';
import { onCoordinatorGone, parallelWorker, refusalToRunInParallel } from './parallel';
import { shapeOf, type PoolShape } from './pool-shape';
import { loadSuiteSettings, type SuiteSettings } from './suite-settings';
import { ContractTarget } from './targets/contract-target';
import { loadTargetDescription } from './targets/description';
import type { ServiceTarget } from './targets/service-target';
import { TargetSystem } from './targets/target-system';

export type { ServiceName };

/**
 * The system the whole run talks to: started once (PostgreSQL once per run), stopped at the end.
 * In parallel, once per worker: each worker process has a system of its own (support/parallel.ts).
 */
export interface RunningSystem {
  settings: SuiteSettings;
  deployment: Deployment;
  /** "ours" (our services through their test API), or the name of the target description. */
  targetName: string;
  /** Each service under test, as the steps drive it. */
  targets: Partial<Record<ServiceName, ServiceTarget>>;
  /** Each service's pool shape at start-up: a scenario on our services begins from it. */
  startupShapes: Partial<Record<ServiceName, PoolShape>>;
}

let environment: Environment | undefined;
let targetSystem: TargetSystem | undefined;
let running: RunningSystem | undefined;
let cancelInterruptCleanup: (() => void) | undefined;
let cancelCoordinatorWatch: (() => void) | undefined;
let stopping: Promise<void> | undefined;

/** Our services, as TEST_ENV starts (or finds) them, driven through their test API. */
async function startOurServices(started: Environment): Promise<Pick<RunningSystem, 'deployment' | 'targets' | 'startupShapes' | 'targetName'>> {
  const deployment = await started.start();
  const targets: RunningSystem['targets'] = {};
  const startupShapes: RunningSystem['startupShapes'] = {};
  for (const [service, url] of [['backend', deployment.backendUrl], ['auth', deployment.authUrl]] as const) {
    if (!url) continue;
    const client = new ServiceClient(service, url, deployment.adminToken);
    startupShapes[service] = shapeOf((await client.poolSnapshot()).config);
    targets[service] = new ContractTarget(service, client, startupShapes[service]);
  }
  return { deployment, targets, startupShapes, targetName: 'ours' };
}

/** The services a target description names, on the PostgreSQL TEST_ENV gives. */
async function startDescribedServices(started: Environment, target: string): Promise<Pick<RunningSystem, 'deployment' | 'targets' | 'startupShapes' | 'targetName'>> {
  // Read and check the description before anything starts: a mistake in it costs nothing to report.
  const { description } = loadTargetDescription(target);
  const refusal = refusalToRunInParallel(parallelWorker(), started.name, description);
  if (refusal) throw new Error(refusal);
  const database = await started.startDatabase();
  targetSystem = await TargetSystem.start(description, database.adminUrl);
  const { targets } = targetSystem;
  const deployment: Deployment = {
    environment: `${started.name} (TARGET=${description.name})`,
    backendUrl: targets.backend!.url,
    authUrl: targets.auth?.url,
    adminToken: '',
    auditDatabaseUrl: targetSystem.auditDatabaseUrl,
    faultInjection: false,
    ...(database.databaseServer ? { databaseServer: database.databaseServer } : {}),
  };
  const startupShapes = Object.fromEntries(Object.entries(targets).map(([service, t]) => [service, t!.shape]));
  return { deployment, targets, startupShapes, targetName: description.name };
}

export async function startSystem(): Promise<RunningSystem> {
  const settings = loadSuiteSettings();
  const refusal = refusalToRunInParallel(parallelWorker(), settings.testEnv);
  if (refusal) throw new Error(refusal);
  environment = createEnvironment(settings);
  const started = environment;
  cancelInterruptCleanup = onInterrupt(stopSystem);
  cancelCoordinatorWatch = onCoordinatorGone(stopSystem);
  const parts = settings.target ? await startDescribedServices(started, settings.target) : await startOurServices(started);
  running = { settings, ...parts };
  return running;
}

/** Stops everything; a second call while the first runs (an interrupt during AfterAll) waits for the same stop. */
export function stopSystem(): Promise<void> {
  stopping ??= (async () => {
    await targetSystem?.stop();
    await environment?.stop();
    cancelInterruptCleanup?.();
    cancelCoordinatorWatch?.();
    targetSystem = undefined;
    environment = undefined;
    running = undefined;
  })().finally(() => {
    stopping = undefined;
  });
  return stopping;
}

export function runningSystem(): RunningSystem {
  if (!running) throw new Error('the system under test is not running (BeforeAll did not start it)');
  return running;
}
