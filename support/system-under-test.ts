import type { ServiceName } from '../env/service-settings';
import { onInterrupt } from '../testkit/interrupt';
import { createEnvironment, type Environment, type Platform } from './environment';
import { onCoordinatorGone, parallelWorker, refusalToRunInParallel } from './parallel';
import { loadSuiteSettings, type SuiteSettings } from './suite-settings';
import type { DescribedTarget } from './targets/described-target';
import { loadTargetDescription } from './targets/description';
import { TargetSystem } from './targets/target-system';

export type { ServiceName };

/**
 * The system the whole run talks to: the services a target description describes (TARGET; our own,
 * targets/ours.yaml, by default), on the PostgreSQL the environment gives (TEST_ENV). Started once
 * per run (in parallel, once per worker: support/parallel.ts), stopped at the end.
 */
export interface RunningSystem {
  settings: SuiteSettings;
  platform: Platform;
  /** The description's name ("ours", "postgraphile"). */
  targetName: string;
  /** Its file, for the report. */
  descriptionFile: string;
  /** Each service under test, as the steps drive it. */
  targets: Partial<Record<ServiceName, DescribedTarget>>;
  /** A superuser URL for the pg_stat_activity audit and the database-side faults; undefined where the run has none. */
  auditDatabaseUrl: string | undefined;
  /** The databases the services' connections are in: the audit counts only these. */
  auditDatabases: readonly string[];
}

let environment: Environment | undefined;
let targetSystem: TargetSystem | undefined;
let running: RunningSystem | undefined;
let cancelInterruptCleanup: (() => void) | undefined;
let cancelCoordinatorWatch: (() => void) | undefined;
let stopping: Promise<void> | undefined;

export async function startSystem(): Promise<RunningSystem> {
  const settings = loadSuiteSettings();
  // Read and check the description before anything starts: a mistake in it costs nothing to report.
  const { description, file } = loadTargetDescription(settings.target);
  const refusal = refusalToRunInParallel(parallelWorker(), settings.testEnv, description);
  if (refusal) throw new Error(refusal);
  environment = createEnvironment(settings);
  cancelInterruptCleanup = onInterrupt(stopSystem);
  cancelCoordinatorWatch = onCoordinatorGone(stopSystem);
  let platform: Platform;
  try {
    platform = await environment.start();
    targetSystem = await TargetSystem.start(description, file, platform);
  } catch (error) {
    // Cucumber runs no AfterAll when BeforeAll fails: a start that fails half-way (a service that
    // will not start) must not leave PostgreSQL, or anything else it started, running.
    await stopSystem();
    throw error;
  }
  for (const note of targetSystem.notes) process.stderr.write(`${note}\n`);
  running = {
    settings,
    platform,
    targetName: description.name,
    descriptionFile: file,
    targets: targetSystem.targets,
    auditDatabaseUrl: targetSystem.auditDatabaseUrl,
    auditDatabases: targetSystem.databaseNames(),
  };
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
