import type * as messages from '@cucumber/messages';
import type { TargetDescription } from './targets/description';

/*
 * `npx cucumber-js --parallel N` (docs/qa-guide.md, "In parallel"): cucumber forks N worker
 * processes; each loads the support code and runs BeforeAll and AfterAll once, so each starts a
 * system of its own: its own PostgreSQL (embedded), its own compose project (docker), or its own
 * roles and databases on the shared server (external, DB_PREFIX + w<id>_). Scenarios of different
 * workers never see each other's pools.
 */

/**
 * The one tag of a scenario that must not share the machine with another: it measures time or
 * latency (a slower neighbour would move its figures), or takes PostgreSQL's connection slots.
 * The reasons per scenario are listed in docs/qa-guide.md ("In parallel").
 */
export const RUNS_ALONE = '@runs-alone';

/** This process as a cucumber worker (CUCUMBER_WORKER_ID, CUCUMBER_TOTAL_WORKERS), or undefined in a serial run. */
export interface ParallelWorker {
  id: string;
  total: number;
}

export function parallelWorker(env: NodeJS.ProcessEnv = process.env): ParallelWorker | undefined {
  if (env.CUCUMBER_PARALLEL !== 'true' || env.CUCUMBER_WORKER_ID === undefined) return undefined;
  return { id: env.CUCUMBER_WORKER_ID, total: Number(env.CUCUMBER_TOTAL_WORKERS ?? '1') };
}

const runsAlone = (pickle: messages.Pickle) => pickle.tags.some((tag) => tag.name === RUNS_ALONE);

/**
 * cucumber's setParallelCanAssign rule: a @runs-alone scenario starts only when no other is in
 * progress, and nothing starts beside it. (cucumber then runs them once the others are done.)
 */
export function canRunBeside(candidate: messages.Pickle, inProgress: readonly messages.Pickle[]): boolean {
  if (inProgress.length === 0) return true;
  return !runsAlone(candidate) && !inProgress.some(runsAlone);
}

/** What of a described target every worker would share (a service already running, a database of its own), or undefined. */
function sharedPartOf(description: TargetDescription): string | undefined {
  for (const [service, about] of Object.entries(description.services)) {
    if (!about) continue;
    if (!about.start) return `its ${service} service is already running (${about.url ?? 'url'}), not started by the suite`;
    if (about.database.adminUrl) return `its ${service} service's database is one the file names (database.adminUrl)`;
  }
  return undefined;
}

/**
 * Why this run cannot give every worker a system of its own, or undefined when it can: the worker
 * stops with it before anything starts. `remote` is one deployment every worker would drive; a
 * target description may name a running service or a database of its own, and names its roles
 * and application_name (on external, one server for all workers).
 */
export function refusalToRunInParallel(worker: ParallelWorker | undefined, testEnv: string, target?: TargetDescription): string | undefined {
  if (!worker || worker.total < 2) return undefined;
  const serially = 'run it without --parallel (or with --parallel 1)';
  if (testEnv === 'remote') {
    return `TEST_ENV=remote cannot run in parallel: its services are one deployment that all ${worker.total} workers would drive, so their scenarios would see each other's pools; ${serially}`;
  }
  if (!target) return undefined;
  const shared = sharedPartOf(target);
  if (shared) return `TARGET=${target.name} cannot run in parallel: ${shared}, which all ${worker.total} workers would share; ${serially}`;
  // On one shared server each worker needs roles and databases of its own: {{prefix}} gives them (DB_PREFIX + w<id>_).
  const fixedRole = Object.entries(target.services).find(([, about]) => about && !about.database.role.includes('{{prefix}}'));
  if (testEnv !== 'embedded' && fixedRole) {
    return `TARGET=${target.name} cannot run in parallel on TEST_ENV=${testEnv}: its ${fixedRole[0]} service's role (${fixedRole[1]!.database.role}) is one name that every worker on the one PostgreSQL server would share (start it with {{prefix}}); use TEST_ENV=embedded (a PostgreSQL per worker) or ${serially}`;
  }
  return undefined;
}

/**
 * Role and database names of one worker on a server the workers share (external): DB_PREFIX then
 * w<id>_, e.g. poolsuite_w1_backend. Elsewhere each worker has a server of its own: unchanged.
 */
export function workerDbPrefix(prefix: string, testEnv: string, worker: ParallelWorker | undefined): string {
  return worker && worker.total > 1 && testEnv === 'external' ? `${prefix}w${worker.id}_` : prefix;
}

/**
 * In a worker: when the coordinator goes away without finishing the run (killed; a Ctrl-C reaches
 * every process of the group and is handled by testkit/interrupt.ts), the IPC channel closes.
 * Stop what this worker started and exit instead of running on alone. Returns a cancel function.
 */
export function onCoordinatorGone(stop: () => Promise<void>): () => void {
  if (!parallelWorker() || typeof process.send !== 'function') return () => undefined;
  const gone = () => {
    process.stderr.write(`cucumber worker ${process.env.CUCUMBER_WORKER_ID}: the coordinator is gone; stopping this worker's system\n`);
    stop().finally(() => process.exit(130));
  };
  process.once('disconnect', gone);
  return () => process.off('disconnect', gone);
}
