/**
 * .github/workflows/acceptance.yml cannot run here: check that it parses and does, in order, what
 * the README promises (install from the lock file, npm test, the suite, the report with history,
 * the report uploaded even when the suite failed).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> };
const workflow = parse(readFileSync(path.join(ROOT, '.github', 'workflows', 'acceptance.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
};
const steps = workflow.jobs.acceptance?.steps ?? [];
const indexOf = (match: (step: Step) => boolean, what: string): number => {
  const index = steps.findIndex(match);
  assert.ok(index >= 0, `the workflow has a step that ${what}`);
  return index;
};

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
    const historyPath = /historyPath:\s*'\.\/(.+?)'/.exec(readFileSync(path.join(ROOT, 'allurerc.mjs'), 'utf8'))?.[1];
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
