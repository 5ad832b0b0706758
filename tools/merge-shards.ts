/**
 * `npm run report:merge -- <shard dir>...`: the results of a suite run in shards
 * (`npx cucumber-js --shard I/T`, each shard on its own machine or one after another) as one run.
 * Each shard directory holds what its run wrote: `allure-results/` (ALLURE_RESULTS_DIR) and
 * `cucumber-report.json` (`--format json:…`). The merge
 *   - checks that every scenario of the suite ran in exactly one shard: the set comes from a dry run
 *     of the same features and tags, each scenario known by its file and line;
 *   - copies every shard's Allure results into one directory (allure-results/ unless --into), ready
 *     for `npm run report` (history included);
 *   - prints each shard's counts and the merged ones, and exits 1 when a scenario ran twice or never.
 *
 *   npm run report:merge -- shards/shard-1 shards/shard-2 shards/shard-3
 *   npm run report:merge -- --tags @tc1 --into merged-results .run/shards/*
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../testkit/service-process';

type Verdict = 'passed' | 'failed' | 'skipped';

interface ScenarioRun {
  /** Where the scenario (or its Examples row) is: `features/01-….feature:21`. */
  id: string;
  name: string;
  verdict: Verdict;
}

interface CucumberJsonFeature {
  uri: string;
  name: string;
  elements?: Array<{ type: string; name: string; line: number; before?: Step[]; steps?: Step[]; after?: Step[] }>;
}
type Step = { result?: { status: string } };

/** The same rule as .ci/count-scenarios.js: passed when every step and hook passed; skipped when none failed and one was skipped. */
function verdictOf(steps: Step[]): Verdict {
  const statuses = steps.map((step) => step.result?.status);
  if (steps.length > 0 && statuses.every((s) => s === 'passed')) return 'passed';
  if (statuses.includes('skipped') && statuses.every((s) => s === 'passed' || s === 'skipped')) return 'skipped';
  return 'failed';
}

export function scenariosOfReport(features: CucumberJsonFeature[]): ScenarioRun[] {
  return features.flatMap((feature) =>
    (feature.elements ?? [])
      .filter((element) => element.type === 'scenario')
      .map((element) => ({
        id: `${feature.uri}:${element.line}`,
        name: `${feature.name} / ${element.name}`,
        verdict: verdictOf([...(element.before ?? []), ...(element.steps ?? []), ...(element.after ?? [])]),
      })),
  );
}

export interface ShardCheck {
  /** Scenario ids that ran in more than one shard (or twice in one), with where. */
  twice: Array<{ id: string; shards: string[] }>;
  /** Scenario ids of the suite that no shard ran. */
  never: string[];
  /** Scenario ids a shard ran that the suite does not have (another commit, other tags). */
  unknown: string[];
}

/** Every scenario of `expected` ran in exactly one shard, and no shard ran anything else. */
export function checkShards(expected: readonly string[], shards: ReadonlyMap<string, readonly ScenarioRun[]>): ShardCheck {
  const ranIn = new Map<string, string[]>();
  for (const [shard, runs] of shards) for (const run of runs) ranIn.set(run.id, [...(ranIn.get(run.id) ?? []), shard]);
  const known = new Set(expected);
  return {
    twice: [...ranIn].filter(([, where]) => where.length > 1).map(([id, where]) => ({ id, shards: where })),
    never: expected.filter((id) => !ranIn.has(id)),
    unknown: [...ranIn.keys()].filter((id) => !known.has(id)),
  };
}

/** The suite's scenarios, from a dry run of the same features and tags (nothing starts; allure-results is left alone). */
function scenariosOfSuite(tags: string | undefined): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-shards-'));
  try {
    const report = path.join(dir, 'dry-run.json');
    const args = ['--profile', 'dry', '--format', `json:${report}`, ...(tags ? ['--tags', tags] : [])];
    const run = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cucumber-js'), args, {
      cwd: REPO_ROOT,
      env: { ...process.env, CUCUMBER_STEP_CHECK: '1' },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`the dry run that lists the suite's scenarios failed:\n${run.stdout}${run.stderr}`);
    return scenariosOfReport(JSON.parse(readFileSync(report, 'utf8'))).map((s) => s.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Allure result files (`*-result.json`) by status. */
function allureCounts(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('-result.json'))) {
    const { status } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { status?: string };
    counts[status ?? 'unknown'] = (counts[status ?? 'unknown'] ?? 0) + 1;
  }
  return counts;
}

const describeCounts = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort()
    .map(([status, n]) => `${n} ${status}`)
    .join(', ') || 'none';

function verdictCounts(runs: readonly ScenarioRun[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const run of runs) counts[run.verdict] = (counts[run.verdict] ?? 0) + 1;
  return counts;
}

/** Copies each shard's Allure results into `into`: names are unique per result (uuids); a clash with other content is an error. */
function copyResults(shardDirs: readonly string[], into: string): string[] {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const clashes: string[] = [];
  for (const dir of shardDirs) {
    const results = path.join(dir, 'allure-results');
    for (const file of readdirSync(results)) {
      const target = path.join(into, file);
      if (existsSync(target)) {
        // environment.properties: each shard describes the same run set-up; the first one stays.
        if (file !== 'environment.properties' && !readFileSync(target).equals(readFileSync(path.join(results, file)))) clashes.push(`${file} (${dir})`);
        continue;
      }
      copyFileSync(path.join(results, file), target);
    }
  }
  return clashes;
}

function main(): void {
  const { values: options, positionals: shardDirs } = parseArgs({
    allowPositionals: true,
    options: { into: { type: 'string', default: 'allure-results' }, tags: { type: 'string' } },
  });
  if (shardDirs.length === 0) {
    process.stderr.write('usage: npm run report:merge -- [--into allure-results] [--tags EXPR] <shard dir>...\n');
    process.exit(2);
  }
  const shards = new Map<string, ScenarioRun[]>();
  for (const dir of shardDirs) {
    for (const needed of ['cucumber-report.json', 'allure-results']) {
      if (!existsSync(path.join(dir, needed))) {
        process.stderr.write(`${dir} has no ${needed}: a shard directory holds its run's allure-results/ and cucumber-report.json\n`);
        process.exit(2);
      }
    }
    shards.set(dir, scenariosOfReport(JSON.parse(readFileSync(path.join(dir, 'cucumber-report.json'), 'utf8'))));
  }
  const expected = scenariosOfSuite(options.tags);
  const check = checkShards(expected, shards);

  for (const [dir, runs] of shards) {
    process.stdout.write(`${dir}: ${runs.length} scenarios (${describeCounts(verdictCounts(runs))}); Allure results: ${describeCounts(allureCounts(path.join(dir, 'allure-results')))}\n`);
  }
  const clashes = copyResults(shardDirs, options.into!);
  const all = [...shards.values()].flat();
  process.stdout.write(`merged into ${options.into}: ${all.length} scenarios of the suite's ${expected.length} (${describeCounts(verdictCounts(all))}); Allure results: ${describeCounts(allureCounts(options.into!))}\n`);
  process.stdout.write(`ran twice: ${check.twice.length}, never ran: ${check.never.length}, not in the suite: ${check.unknown.length}\n`);
  for (const { id, shards: where } of check.twice) process.stdout.write(`  twice: ${id} (${where.join(', ')})\n`);
  for (const id of check.never) process.stdout.write(`  never: ${id}\n`);
  for (const id of check.unknown) process.stdout.write(`  not in the suite: ${id}\n`);
  for (const clash of clashes) process.stdout.write(`  a result file of the same name and other content: ${clash}\n`);
  const ok = check.twice.length === 0 && check.never.length === 0 && check.unknown.length === 0 && clashes.length === 0;
  process.exit(ok ? 0 : 1);
}

if (require.main === module) main();
