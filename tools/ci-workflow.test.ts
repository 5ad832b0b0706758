/**
 * .github/workflows/acceptance.yml cannot run here: check that it parses and does, in order, what
 * the README promises (install from the lock file, npm test, the suite, the report with history,
 * the report uploaded even when the suite failed), and that its sharded variant splits the suite
 * across runners whose results one job merges into the same report.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
  'runs-on': string;
  if?: string;
  needs?: string | string[];
  env?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown[]> };
  steps: Step[];
};
const workflow = parse(readFileSync(path.join(ROOT, '.github', 'workflows', 'acceptance.yml'), 'utf8')) as {
  on: Record<string, { inputs?: Record<string, { default?: string; options?: string[] }> } | null>;
  jobs: Record<string, Job>;
};
const steps = workflow.jobs.acceptance?.steps ?? [];
const stepIndex = (jobSteps: Step[], match: (step: Step) => boolean, what: string): number => {
  const index = jobSteps.findIndex(match);
  assert.ok(index >= 0, `the workflow has a step that ${what}`);
  return index;
};
const indexOf = (match: (step: Step) => boolean, what: string): number => stepIndex(steps, match, what);
const historyPath = /historyPath:\s*'\.\/(.+?)'/.exec(readFileSync(path.join(ROOT, 'allurerc.mjs'), 'utf8'))?.[1];

describe('GitHub Actions workflow', () => {
  it('runs on pushes and pull requests', () => {
    assert.ok('push' in workflow.on && 'pull_request' in workflow.on);
    assert.equal(workflow.jobs.acceptance?.['runs-on'], 'ubuntu-latest');
  });

  it('installs Node 20 from the lock file, tests, runs the suite, builds the report, in that order', () => {
    const node = indexOf((s) => s.uses?.startsWith('actions/setup-node@') === true, 'sets up Node');
    assert.equal(String(steps[node]!.with?.['node-version']), '20');
    const order = [
      indexOf((s) => s.uses?.startsWith('actions/checkout@') === true, 'checks out'),
      node,
      indexOf((s) => s.run?.trim().startsWith('npm ci') === true, 'runs npm ci'),
      indexOf((s) => s.run?.trim() === 'npm test', 'runs npm test'),
      indexOf((s) => /npx cucumber-js --profile/.test(s.run ?? ''), 'runs the suite with a profile'),
      indexOf((s) => s.uses?.startsWith('actions/cache/restore@') === true, 'restores the history'),
      indexOf((s) => s.run?.trim() === 'npm run report', 'builds the report'),
      indexOf((s) => s.uses?.startsWith('actions/cache/save@') === true, 'saves the history'),
      indexOf((s) => s.uses?.startsWith('actions/upload-artifact@') === true && s.with?.name === 'allure-report', 'uploads the report'),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `steps out of order: ${order.join(', ')}`);
  });

  it('keeps the history file allurerc.mjs appends to, and publishes the report even when the suite failed', () => {
    assert.ok(historyPath, 'allurerc.mjs sets historyPath');
    for (const step of steps.filter((s) => s.uses?.startsWith('actions/cache/'))) assert.equal(step.with?.path, historyPath, step.name);
    for (const step of steps.filter((s) => s.run === 'npm run report' || s.uses?.startsWith('actions/cache/') || s.uses?.startsWith('actions/upload-artifact@'))) {
      assert.equal(step.if, 'always()', `${step.name} runs after a red suite too`);
    }
    const upload = steps.find((s) => s.with?.name === 'allure-report')!;
    assert.equal(upload.with?.path, 'allure-report');
    const report = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.report as string;
    assert.match(report, /allure generate allure-results/);
  });
});

describe('GitHub Actions workflow, sharded', () => {
  const shard = workflow.jobs.shard;
  const merge = workflow.jobs['merge-shards'];

  it('is chosen by hand (mode: sharded); pushes and pull requests keep the serial job', () => {
    const mode = workflow.on.workflow_dispatch?.inputs?.mode;
    assert.deepEqual(mode?.options, ['serial', 'sharded']);
    assert.equal(mode?.default, 'serial');
    assert.equal(workflow.jobs.acceptance?.if, "inputs.mode != 'sharded'", 'the serial job runs unless sharded was chosen');
    for (const job of ['shard', 'project-tests', 'merge-shards']) assert.match(workflow.jobs[job]?.if ?? '', /inputs\.mode == 'sharded'/, job);
    assert.ok(workflow.jobs['project-tests']?.steps.some((s) => s.run?.trim() === 'npm test'), 'the project tests run beside the shards');
  });

  it('runs each shard on its own runner, with results in a folder of its own, uploaded even when it failed', () => {
    assert.ok(shard, 'a job named shard');
    const numbers = shard.strategy?.matrix?.shard ?? [];
    assert.ok(numbers.length >= 2, 'at least two shards');
    assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'shards numbered 1..N');
    assert.equal(shard.strategy?.['fail-fast'], false, 'a red shard does not cancel the others: the report shows them all');
    const run = stepIndex(shard.steps, (s) => /npx cucumber-js --profile/.test(s.run ?? ''), 'runs the suite');
    const command = shard.steps[run]!.run!;
    assert.match(command, /--shard \$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}/, 'cucumber-js --shard I/N from the matrix');
    const folder = /--format json:(\S+)\/cucumber-report\.json/.exec(command)?.[1];
    assert.ok(folder, 'the shard writes a JSON report into its folder');
    assert.equal(shard.env?.ALLURE_RESULTS_DIR, `${folder}/allure-results`, 'and its Allure results there too (cucumber.js honours ALLURE_RESULTS_DIR)');
    assert.match(readFileSync(path.join(ROOT, 'cucumber.js'), 'utf8'), /process\.env\.ALLURE_RESULTS_DIR/);
    const order = [
      stepIndex(shard.steps, (s) => s.uses?.startsWith('actions/checkout@') === true, 'checks out'),
      stepIndex(shard.steps, (s) => s.uses?.startsWith('actions/setup-node@') === true && String(s.with?.['node-version']) === '20', 'sets up Node 20'),
      stepIndex(shard.steps, (s) => s.run?.trim().startsWith('npm ci') === true, 'runs npm ci'),
      run,
      stepIndex(shard.steps, (s) => s.uses?.startsWith('actions/upload-artifact@') === true, 'uploads the results'),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `shard steps out of order: ${order.join(', ')}`);
    const upload = shard.steps[order[4]!]!;
    assert.equal(upload.with?.name, 'shard-${{ matrix.shard }}');
    assert.equal(upload.with?.path, folder);
    assert.equal(upload.if, 'always()');
  });

  it("merges every shard's results into one report with history, after checking each scenario ran once", () => {
    assert.ok(merge, 'a job named merge-shards');
    assert.deepEqual([merge.needs].flat(), ['shard']);
    assert.match(merge.if ?? '', /!cancelled\(\)/, 'it merges also when a shard failed');
    const s = merge.steps;
    const download = stepIndex(s, (x) => x.uses?.startsWith('actions/download-artifact@') === true, 'downloads the shards');
    const pattern = String(s[download]!.with?.pattern);
    const into = String(s[download]!.with?.path);
    assert.equal(pattern, 'shard-*', 'every artifact the shards uploaded');
    assert.notEqual(s[download]!.with?.['merge-multiple'], true, 'each shard in a folder of its own');
    const order = [
      stepIndex(s, (x) => x.run?.trim().startsWith('npm ci') === true, 'runs npm ci'),
      download,
      stepIndex(s, (x) => x.run?.trim() === `npm run report:merge -- ${into}/shard-*`, 'merges and checks the shards'),
      stepIndex(s, (x) => x.run?.trim() === `node .ci/count-scenarios.js ${into}/shard-*/cucumber-report.json`, 'counts the scenarios of all shards'),
      stepIndex(s, (x) => x.uses?.startsWith('actions/cache/restore@') === true, 'restores the history'),
      stepIndex(s, (x) => x.run?.trim() === 'npm run report', 'builds the report'),
      stepIndex(s, (x) => x.uses?.startsWith('actions/cache/save@') === true, 'saves the history'),
      stepIndex(s, (x) => x.uses?.startsWith('actions/upload-artifact@') === true && x.with?.name === 'allure-report', 'uploads the report'),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `merge steps out of order: ${order.join(', ')}`);
    for (const step of s.filter((x) => x.uses?.startsWith('actions/cache/'))) assert.equal(step.with?.path, historyPath, step.name);
    for (const step of s.filter((x) => x.run === 'npm run report' || x.uses?.startsWith('actions/cache/') || x.uses?.startsWith('actions/upload-artifact@'))) {
      assert.equal(step.if, 'always()', `${step.name} runs after a failed merge check too`);
    }
    const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.match(scripts['report:merge'] ?? '', /tools\/merge-shards\.ts$/);
  });

  it('uploads the hidden .run/ report of the serial job too', () => {
    const raw = steps.find((x) => x.with?.name === 'allure-results');
    assert.match(String(raw?.with?.path), /\.run\/cucumber-report\.json/);
    assert.equal(raw?.with?.['include-hidden-files'], true, 'upload-artifact@v4 skips hidden folders unless told');
  });
});
