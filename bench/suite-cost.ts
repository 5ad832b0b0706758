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
  wallSeconds: number;
  passed: boolean;
  exitCode: number | null;
  scenarios: number;
  prescribedWaitingSeconds: number;
  log: string;
}

export interface SuiteCostResult {
  tags: string | undefined;
  scenarios: number;
  prescribedWaitingSeconds: number;
  suiteWallSeconds: number;
  /** Wall time of the whole plan / the waiting it prescribes; target <= 1.15. */
  suiteCostRatio: number;
  /** Wall time of `cucumber-js --profile quick`; target < 60 s. */
  quickProfileSeconds: number;
  runs: SuiteRun[];
  perScenario: ScenarioCost[];
  rule: string;
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
async function timeCucumber(profile: string, tags: string | undefined): Promise<{ run: SuiteRun; scenarios: ScenarioCost[] }> {
  await mkdir(path.join(REPO_ROOT, '.run'), { recursive: true });
  const log = path.join('.run', `bench-suite-${profile}.log`);
  const messages = path.join('.run', `bench-suite-${profile}.ndjson`);
  const out = createWriteStream(path.join(REPO_ROOT, log));
  // The package's declared bin (its exports map hides bin/ from require.resolve).
  const cli = path.join(path.dirname(require.resolve('@cucumber/cucumber/package.json')), 'bin', 'cucumber.js');
  // Tags, not paths, narrow a run: paths given on the command line add to the profile's.
  const args = [cli, '--profile', profile, '--format', `message:${messages}`, ...(tags ? ['--tags', tags] : [])];
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
  if (scenarios.length === 0) throw new Error(`cucumber-js --profile ${profile}${tags ? ` --tags "${tags}"` : ''} ran no scenario (see ${log})`);
  const prescribed = round(scenarios.reduce((sum, s) => sum + s.prescribedSeconds, 0), 1);
  return { run: { profile, wallSeconds, passed: exitCode === 0, exitCode, scenarios: scenarios.length, prescribedWaitingSeconds: prescribed, log }, scenarios };
}

/**
 * Suite cost: the plan's wall time (`cucumber-js`, default profile: real durations) against the
 * waiting its scenarios prescribe, and the quick profile's wall time. Each profile runs once.
 */
export async function measureSuiteCost(tags: string | undefined): Promise<SuiteCostResult> {
  const full = await timeCucumber('default', tags);
  const quick = await timeCucumber('quick', tags);
  const prescribed = full.run.prescribedWaitingSeconds;
  return {
    tags,
    scenarios: full.run.scenarios,
    prescribedWaitingSeconds: prescribed,
    suiteWallSeconds: full.run.wallSeconds,
    suiteCostRatio: prescribed > 0 ? round(full.run.wallSeconds / prescribed, 3) : Number.NaN,
    quickProfileSeconds: quick.run.wallSeconds,
    runs: [full.run, quick.run],
    perScenario: full.scenarios,
    rule:
      'per scenario: max(sum of load phases, longest background hold); "within" = deadline, "every" = period, "longer than"/"at most" = threshold (not waits); "after"/"timeout of" = timeout (counts only when nothing else is timed); quick scales load phases by 0.1',
  };
}
