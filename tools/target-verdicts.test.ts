import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runTarget, verdictChanges, verdictsFile } from './verdicts';

/*
 * The seven cases on each described target give the verdicts recorded in targets/<name>.verdicts.json
 * (npm run verdicts -- <name> writes them). A finding that disappears — PostGraphile's 500 for a
 * pool timeout suddenly "met" — means the suite lost its power to see it; a check that starts failing
 * on our own services means a target no longer judges like the contract mode. Either fails here.
 * Runs the quick profile: about two minutes per target.
 */
/** Every target description shipped in targets/. */
const TARGETS = readdirSync(path.join(__dirname, '..', 'targets'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => file.replace(/\.yaml$/, ''))
  .sort();

describe('the verdicts of each described target stay what they are', () => {
  it('each shipped target has its recorded verdicts', () => {
    assert.ok(TARGETS.length >= 2, `targets/ holds ${TARGETS.join(', ')}`);
    for (const target of TARGETS) assert.ok(existsSync(verdictsFile(target)), `targets/${target}.yaml has no targets/${target}.verdicts.json (npm run verdicts -- ${target})`);
  });

  for (const target of TARGETS) {
    it(`${target}: the seven cases give the recorded verdicts`, { timeout: 10 * 60_000 }, async () => {
      const recorded = JSON.parse(readFileSync(verdictsFile(target), 'utf8')) as Parameters<typeof verdictChanges>[0];
      const report = path.join(os.tmpdir(), `pool-suite-verdicts-${target}-${process.pid}.json`);
      const verdicts = await runTarget(target, 'quick', report);
      rmSync(report, { force: true });
      const changes = verdictChanges(recorded, verdicts);
      assert.deepEqual(changes, [], `TARGET=${target} judged differently from targets/${target}.verdicts.json:\n${changes.join('\n')}`);
    });
  }
});
