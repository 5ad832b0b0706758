import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { judgeBreak, loadBreaks, type Break } from './prove-breaks';
import { loadGroundTruth } from './verdicts';

/*
 * The breaks themselves, without running them (npm run prove:breaks does): each patch still applies
 * to the code as it is, and each names checks its target's ground truth has, as met — a break can
 * only be seen where the service meets the check without it.
 */
const REPO_ROOT = path.resolve(__dirname, '..');

describe('the realistic breaks (tools/breaks)', () => {
  const breaks = loadBreaks();

  it('each patch applies to the code as it is', () => {
    for (const broken of breaks) {
      const dry = spawnSync('patch', ['-p1', '--dry-run', '--forward', '--silent', '--input', path.join('tools', 'breaks', `${broken.name}.patch`)], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(dry.status, 0, `${broken.name}.patch does not apply: ${dry.stdout}${dry.stderr}`);
    }
  });

  it("each names checks its target's ground truth says are met", () => {
    for (const broken of breaks) {
      const truth = loadGroundTruth(broken.target);
      for (const expected of broken.expect) {
        assert.equal(truth[expected.scenario]?.[expected.check]?.[0], 'met', `${broken.name}: "${expected.scenario} / ${expected.check}" is not a met check of targets/${broken.target}.truth.yaml`);
      }
    }
  });

  const broken: Break = { name: 'b', class: 'c', defect: 'd', target: 'ours', expect: [{ scenario: 'F / S', check: 'the check', verdict: 'not met', says: 'too late' }] };

  it('proven when exactly the named check turns, saying the named words', () => {
    assert.deepEqual(judgeBreak(broken, ['F / S / the check: the ground truth says met (…); the run said not met (1200 ms too late)']), []);
  });

  it('not proven when the check agreed, turned for other reasons, or other checks turned as well', () => {
    assert.match(judgeBreak(broken, [])[0]!, /^not seen: .*agreed with the ground truth/);
    assert.match(judgeBreak(broken, ['F / S / the check: the ground truth says met (…); the run said not met (no answer)'])[0]!, /^seen, but not for the reason it names/);
    assert.match(judgeBreak(broken, ['F / S / the check: the ground truth says met (…); the run said not met (too late)', 'F / S / another: the ground truth says met (…); the run said not met (x)'])[0]!, /^turned as well/);
  });
});
