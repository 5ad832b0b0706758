import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

/*
 * The Allure report must show a scenario failed when only its After hook failed: that is where every
 * check not met is listed (the checks themselves pass on to the next). A tiny feature, run by the real
 * cucumber-js with the suite's Allure formatter, and the result it wrote. (It runs in a folder of its
 * own: the repository's cucumber.js would load the whole suite, and clear allure-results/.)
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('the Allure formatter', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-allure-reporter-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(afterHook: string): { status: string; steps: Array<{ name: string; status: string; statusDetails?: { message?: string } }> } {
    writeFileSync(path.join(dir, 'one.feature'), 'Feature: one\n  Scenario: a check that passes on\n    Then nothing is wrong here\n');
    writeFileSync(
      path.join(dir, 'steps.js'),
      `const { Then, After } = require('@cucumber/cucumber');\nThen('nothing is wrong here', () => {});\nAfter(function () { ${afterHook} });\n`,
    );
    const results = path.join(dir, `results-${Date.now()}`);
    const cli = path.join(path.dirname(require.resolve('@cucumber/cucumber/package.json')), 'bin', 'cucumber.js');
    const formatter = path.join(REPO_ROOT, 'support', 'report', 'allure-reporter.js');
    const run = spawnSync(process.execPath, [cli, path.join(dir, 'one.feature'), '--require', path.join(dir, 'steps.js'), '--format', `${formatter}:${path.join(dir, 'allure.log')}`, '--format-options', JSON.stringify({ resultsDir: results })], { cwd: dir, env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') }, encoding: 'utf8', timeout: 60_000 });
    const file = readdirSync(results).find((name) => name.endsWith('-result.json'));
    assert.ok(file, `no Allure result written:\n${run.stdout}${run.stderr}`);
    return JSON.parse(readFileSync(path.join(results, file), 'utf8'));
  }

  it('fails a scenario whose After hook failed, with a last step "after the scenario" saying why', () => {
    const result = run("throw new Error('2 checks not met or failed:\\n- not met: the backend pool reports 100% utilization');");
    assert.equal(result.status, 'failed');
    const last = result.steps.at(-1)!;
    assert.equal(last.name, 'after the scenario');
    assert.equal(last.status, 'failed');
    assert.match(last.statusDetails?.message ?? '', /not met: the backend pool reports 100% utilization/);
  });

  it('leaves a scenario passed when its After hook passed', () => {
    const result = run('');
    assert.equal(result.status, 'passed');
    assert.deepEqual(result.steps.map((s) => s.name), ['Then nothing is wrong here']);
  });
});
