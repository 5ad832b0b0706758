/**
 * `npm run soak`: runs the suite N times in a row (quick profile by default) and reports failures
 * per scenario — the flakiness check. With `--interrupt`, each run is interrupted (SIGINT, as Ctrl-C
 * sends it, or SIGTERM) at a random moment instead, and the soak checks that nothing was left
 * behind: no PostgreSQL, no service process, no temp dir.
 *
 *   npm run soak                      # 10 runs of --profile quick
 *   npm run soak -- --runs 3 --profile default --tags @tc1
 *   npm run soak -- --interrupt --runs 5
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './environment/service-process';

interface ScenarioResult {
  name: string;
  passed: boolean;
}

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    profile: { type: 'string', default: 'quick' },
    tags: { type: 'string' },
    interrupt: { type: 'boolean', default: false },
  },
});

const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs=${options.runs} is not allowed: expected a positive integer\n`);
  process.exit(2);
}

/** What a run could leave behind: processes and temp dirs that belong to the suite. */
function leftovers(): string[] {
  const processes = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /pool-suite-pg-|services\/(backend|auth)\/main\.ts/.test(line));
  const tempDirs = readdirSync(os.tmpdir()).filter((name) => name.startsWith('pool-suite-pg-'));
  return [...processes.map((p) => `process: ${p.trim()}`), ...tempDirs.map((d) => `temp dir: ${d}`)];
}

function cucumberArgs(reportFile: string): string[] {
  const args = ['cucumber-js', '--profile', options.profile!, '--format', `json:${reportFile}`];
  if (options.tags) args.push('--tags', options.tags);
  return args;
}

function scenariosOf(reportFile: string): ScenarioResult[] {
  const features = JSON.parse(readFileSync(reportFile, 'utf8')) as Array<{
    name: string;
    elements?: Array<{ name: string; type: string; steps?: Array<{ result?: { status: string } }> }>;
  }>;
  return features.flatMap((feature) =>
    (feature.elements ?? [])
      .filter((element) => element.type === 'scenario')
      .map((scenario) => ({
        name: `${feature.name} / ${scenario.name}`,
        passed: (scenario.steps ?? []).every((step) => step.result?.status === 'passed'),
      })),
  );
}

/** Runs the suite once; resolves with its exit code (and the signal it was sent, if interrupted). */
function runOnce(reportFile: string, interruptAfterMs: number | undefined, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'cucumber-js'), cucumberArgs(reportFile).slice(1), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const timer = interruptAfterMs === undefined ? undefined : setTimeout(() => child.kill(signal), interruptAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function waitUntilClean(within: number): Promise<string[]> {
  const deadline = Date.now() + within;
  for (;;) {
    const found = leftovers();
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const before = leftovers();
  if (before.length > 0) {
    process.stderr.write(`soak: something from an earlier run is still there; stop it first:\n  ${before.join('\n  ')}\n`);
    process.exit(2);
  }
  const reportDir = path.join(REPO_ROOT, '.run', 'soak');
  mkdirSync(reportDir, { recursive: true });
  const failuresByScenario = new Map<string, number>();
  const runsLeavingSomething: string[] = [];
  let failedRuns = 0;

  for (let run = 1; run <= runs; run++) {
    const reportFile = path.join(reportDir, `run-${run}.json`);
    const started = Date.now();
    const signal: NodeJS.Signals = run % 2 === 0 ? 'SIGTERM' : 'SIGINT';
    // Somewhere between start-up and the middle of a scenario: 0.5–20 s.
    const interruptAfterMs = options.interrupt ? 500 + Math.floor(Math.random() * 19_500) : undefined;
    const code = await runOnce(reportFile, interruptAfterMs, signal);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (options.interrupt) {
      const left = await waitUntilClean(20_000);
      if (left.length > 0) runsLeavingSomething.push(`run ${run} (${signal} after ${interruptAfterMs} ms): ${left.join('; ')}`);
      process.stdout.write(`run ${run}: ${signal} after ${interruptAfterMs} ms, exit ${code}, ${left.length} left behind\n`);
      continue;
    }
    let scenarios: ScenarioResult[] = [];
    try {
      scenarios = scenariosOf(reportFile);
    } catch {
      failuresByScenario.set('(no report: the run did not complete)', (failuresByScenario.get('(no report: the run did not complete)') ?? 0) + 1);
    }
    const failed = scenarios.filter((s) => !s.passed);
    for (const scenario of failed) failuresByScenario.set(scenario.name, (failuresByScenario.get(scenario.name) ?? 0) + 1);
    if (code !== 0 || failed.length > 0) failedRuns++;
    process.stdout.write(`run ${run}: ${scenarios.length - failed.length} passed, ${failed.length} failed, exit ${code}, ${seconds} s\n`);
    const left = await waitUntilClean(10_000);
    if (left.length > 0) runsLeavingSomething.push(`run ${run}: ${left.join('; ')}`);
  }

  process.stdout.write('\n');
  if (options.interrupt) {
    process.stdout.write(`interrupted runs: ${runs}, runs that left something behind: ${runsLeavingSomething.length}\n`);
    for (const line of runsLeavingSomething) process.stdout.write(`  ${line}\n`);
    process.exit(runsLeavingSomething.length > 0 ? 1 : 0);
  }
  process.stdout.write(`soak: ${runs} runs of --profile ${options.profile}, ${failedRuns} with failures\n`);
  for (const [name, count] of [...failuresByScenario].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${count}/${runs} failed: ${name}\n`);
  }
  for (const line of runsLeavingSomething) process.stdout.write(`  left behind after ${line}\n`);
  process.exit(failedRuns > 0 || runsLeavingSomething.length > 0 ? 1 : 0);
}

void main();
