/**
 * .ci/count-scenarios.js: the last line CI prints ("N passed, N failed") and its exit status, for a
 * report with a passed, a failed and a skipped (not run on this target) scenario.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const COUNT = path.resolve(__dirname, '..', '.ci', 'count-scenarios.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-ci-count-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const scenario = (name: string, ...statuses: string[]) => ({ type: 'scenario', name, steps: statuses.map((status) => ({ result: { status } })) });

function count(features: unknown): { lines: string[]; status: number | null } {
  const file = path.join(dir, `report-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(features));
  const run = spawnSync(process.execPath, [COUNT, file], { encoding: 'utf8' });
  return { lines: run.stdout.trim().split('\n'), status: run.status };
}

describe('.ci/count-scenarios.js', () => {
  it('counts a scenario a target could not run apart, and ends with "N passed, N failed"', () => {
    const { lines, status } = count([{ name: 'F', elements: [scenario('ok', 'passed', 'passed'), scenario('not run', 'passed', 'skipped', 'skipped')] }]);
    assert.deepEqual(lines, ['skipped: F / not run', '1 skipped (not run on this target; the report says why)', '1 passed, 0 failed']);
    assert.equal(status, 0);
  });

  it('a failed or undefined step fails the scenario and the run', () => {
    const { lines, status } = count([{ name: 'F', elements: [scenario('red', 'passed', 'failed', 'skipped'), scenario('undefined', 'undefined'), scenario('ok', 'passed')] }]);
    assert.deepEqual(lines, ['failed: F / red', 'failed: F / undefined', '1 passed, 2 failed']);
    assert.equal(status, 1);
  });

  it("adds up the reports of a sharded run's shards", () => {
    const shard1 = path.join(dir, 'shard-1.json');
    const shard2 = path.join(dir, 'shard-2.json');
    writeFileSync(shard1, JSON.stringify([{ name: 'F', elements: [scenario('a', 'passed'), scenario('b', 'passed')] }]));
    writeFileSync(shard2, JSON.stringify([{ name: 'F', elements: [scenario('c', 'passed', 'failed')] }, { name: 'G', elements: [scenario('d', 'passed')] }]));
    const run = spawnSync(process.execPath, [COUNT, shard1, shard2], { encoding: 'utf8' });
    assert.deepEqual(run.stdout.trim().split('\n'), ['failed: F / c', '3 passed, 1 failed']);
    assert.equal(run.status, 1);
  });

  it('no report, or no scenario at all, is a failure', () => {
    assert.equal(count([]).status, 1);
    assert.equal(spawnSync(process.execPath, [COUNT], { encoding: 'utf8' }).status, 1, 'no report named');
    const missing = spawnSync(process.execPath, [COUNT, path.join(dir, 'absent.json')], { encoding: 'utf8' });
    assert.match(missing.stdout, /0 passed, 1 failed\n$/);
    assert.equal(missing.status, 1);
  });
});
