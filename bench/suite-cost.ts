import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { round } from './latency-histogram';
import { prescribedSeconds } from './prescribed-waiting';

const REPO_ROOT = path.resolve(__dirname, '..');
/** cucumber.js: the quick profile's worldParameters.loadTimeScale. */
const QUICK_LOAD_TIME_SCALE = 0.1;

export interface ScenarioCost {
  uri: string;
  scenario: string;
  prescribedSeconds: number;
  measuredSeconds: number;
  passed: boolean;
}

export interface SuiteRun {
  profile: string;
  /** Workers of `cucumber-js --parallel`; 1 = serial. */
  workers: number;
  wallSeconds: number;
  passed: boolean;
  exitCode: number | null;
  scenarios: number;
  scenariosFailed: number;
  prescribedWaitingSeconds: number;
  /** wall / prescribed waiting. */
  costRatio: number;
  log: string;
}

export interface SuiteCostResult {
  tags: string;
  /** Serial runs, one per profile: quick in every bench run, default (the plan's real durations) with --suite. */
  serial: SuiteRun[];
  /** The same cases with `cucumber-js --parallel` (see suiteParallelWorkers). */
  parallel: { available: true; runs: SuiteRun[] } | { available: false; why: string };
  /** Scenario by scenario, of the first serial run. */
  perScenario: ScenarioCost[];
  rule: string;
}

/** The seven cases of the test plan (features 01–07), the suite cost's default selection. */
export const SEVEN_CASES = '@tc1 or @tc2 or @tc3 or @tc4 or @tc5 or @tc6 or @tc7';

/**
 * Workers for the parallel suite cost: `cucumber-js --parallel N`, each worker with a system of its
 * own (support/parallel.ts). Two, this machine's cores: a third worker only adds load beside the
 * scenarios that run alone, which bound the gain anyway.
 */
export function suiteParallelWorkers(): { workers: number } | { why: string } {
  return { workers: 2 };
}

interface Timestamp {
  seconds: number;
  nanos: number;
}
interface Envelope {
  pickle?: { id: string; uri: string; name: string; steps: Array<{ text: string }> };
  testCase?: { id: string; pickleId: string };
  testCaseStarted?: { id: string; testCaseId: string; timestamp: Timestamp };
  testCaseFinished?: { testCaseStartedId: string; timestamp: Timestamp; willBeRetried: boolean };
  testStepFinished?: { testCaseStartedId: string; testStepResult: { status: string } };
}

const seconds = (t: Timestamp) => t.seconds + t.nanos / 1e9;

/**
 * The scenarios cucumber-js actually ran, read from its own message stream (NDJSON): each with
 * the waiting its steps prescribe and how long it took. Whatever features, profile and tags were
 * in force, the prescribed time is computed over exactly what ran.
 */
function scenariosRan(messagesFile: string, loadTimeScale: number): ScenarioCost[] {
  const envelopes = readFileSync(messagesFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Envelope);
  const pickles = new Map(envelopes.flatMap((e) => (e.pickle ? [[e.pickle.id, e.pickle] as const] : [])));
  const testCases = new Map(envelopes.flatMap((e) => (e.testCase ? [[e.testCase.id, e.testCase.pickleId] as const] : [])));
  const started = new Map(envelopes.flatMap((e) => (e.testCaseStarted ? [[e.testCaseStarted.id, e.testCaseStarted] as const] : [])));
  const failed = new Set(
    envelopes.flatMap((e) => (e.testStepFinished && !['PASSED', 'SKIPPED'].includes(e.testStepFinished.testStepResult.status) ? [e.testStepFinished.testCaseStartedId] : [])),
  );
  return envelopes.flatMap((e) => {
    const finished = e.testCaseFinished;
    if (!finished || finished.willBeRetried) return [];
    const start = started.get(finished.testCaseStartedId);
    const pickle = start && pickles.get(testCases.get(start.testCaseId) ?? '');
    if (!start || !pickle) throw new Error(`${messagesFile}: test case ${finished.testCaseStartedId} has no pickle`);
    return [
      {
        uri: pickle.uri,
        scenario: pickle.name,
        prescribedSeconds: prescribedSeconds(pickle.steps.map((s) => s.text), loadTimeScale),
        measuredSeconds: round(seconds(finished.timestamp) - seconds(start.timestamp), 1),
        passed: !failed.has(start.id),
      },
    ];
  });
}

/** Runs cucumber-js as a user would and times it from spawn to exit; its console output goes to a log file. */
async function timeCucumber(profile: string, tags: string, workers: number): Promise<{ run: SuiteRun; scenarios: ScenarioCost[] }> {
  await mkdir(path.join(REPO_ROOT, '.run'), { recursive: true });
  const name = `bench-suite-${profile}${workers > 1 ? `-parallel-${workers}` : ''}`;
  const log = path.join('.run', `${name}.log`);
  const messages = path.join('.run', `${name}.ndjson`);
  const out = createWriteStream(path.join(REPO_ROOT, log));
  // The package's declared bin (its exports map hides bin/ from require.resolve).
  const cli = path.join(path.dirname(require.resolve('@cucumber/cucumber/package.json')), 'bin', 'cucumber.js');
  // Tags, not paths, narrow a run: paths given on the command line add to the profile's.
  const args = [cli, '--profile', profile, '--format', `message:${messages}`, '--tags', tags, ...(workers > 1 ? ['--parallel', String(workers)] : [])];
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const wallSeconds = round((performance.now() - startedAt) / 1000, 1);
  out.end();
  const scenarios = scenariosRan(path.join(REPO_ROOT, messages), profile === 'quick' ? QUICK_LOAD_TIME_SCALE : 1);
  if (scenarios.length === 0) throw new Error(`cucumber-js --profile ${profile} --tags "${tags}" ran no scenario (see ${log})`);
  const prescribed = round(scenarios.reduce((sum, s) => sum + s.prescribedSeconds, 0), 1);
  const run: SuiteRun = {
    profile,
    workers,
    wallSeconds,
    passed: exitCode === 0,
    exitCode,
    scenarios: scenarios.length,
    scenariosFailed: scenarios.filter((s) => !s.passed).length,
    prescribedWaitingSeconds: prescribed,
    costRatio: prescribed > 0 ? round(wallSeconds / prescribed, 3) : Number.NaN,
    log,
  };
  return { run, scenarios };
}

/**
 * Suite cost: the wall time of the chosen cases (the seven cases of the plan unless tags say
 * otherwise) against the waiting their scenarios prescribe, per profile, serial and — once the
 * suite supports it — parallel. Each run is timed as a user runs it: cucumber-js from spawn to exit.
 */
export async function measureSuiteCost(options: { tags: string; profiles: readonly string[] }): Promise<SuiteCostResult> {
  const serial: Array<{ run: SuiteRun; scenarios: ScenarioCost[] }> = [];
  for (const profile of options.profiles) serial.push(await timeCucumber(profile, options.tags, 1));
  const parallelPlan = suiteParallelWorkers();
  let parallel: SuiteCostResult['parallel'];
  if ('workers' in parallelPlan) {
    const runs: SuiteRun[] = [];
    for (const profile of options.profiles) runs.push((await timeCucumber(profile, options.tags, parallelPlan.workers)).run);
    parallel = { available: true, runs };
  } else {
    parallel = { available: false, why: parallelPlan.why };
  }
  return {
    tags: options.tags,
    serial: serial.map((s) => s.run),
    parallel,
    perScenario: serial[0]?.scenarios ?? [],
    rule:
      'per scenario: max(sum of load phases, longest background hold); "within" = deadline, "every" = period, "longer than"/"at most" = threshold (not waits); "after"/"timeout of" = timeout (counts only when nothing else is timed); quick scales load phases by 0.1',
  };
}
