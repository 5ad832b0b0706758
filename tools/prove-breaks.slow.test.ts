import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBreaks, proveBreak } from './prove-breaks';

/*
 * The suite sees every realistic break of tools/breaks, and nothing else with it: each patch applied
 * to a copy of the repository, the scenarios that should see it run (npm run prove:breaks, here as
 * part of npm run test:slow). A few minutes in all.
 */
describe('the suite sees exactly each realistic break', () => {
  for (const broken of loadBreaks()) {
    it(`${broken.name}: ${broken.defect}`, { timeout: 10 * 60_000 }, async () => {
      const { problems, differences } = await proveBreak(broken);
      assert.deepEqual(problems, [], `${broken.name} is not proven:\n${problems.join('\n')}\n(the run's differences from the ground truth:\n${differences.join('\n')})`);
    });
  }
});
