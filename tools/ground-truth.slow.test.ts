import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { differencesFromTruth, loadGroundTruth, runTarget, truthFile } from './verdicts';

/*
 * Every shipped target's verdicts agree with its ground truth (targets/<name>.truth.yaml): the
 * verdicts written down before any run, each with its reason from the service's code, docs and
 * behaviour — never recorded from the suite's own output. A difference is a bug of the suite, or
 * (with evidence) of the ground truth; it is never fixed by copying what the run said. Runs the seven
 * cases on each target with the quick profile: a few minutes each (npm run test:slow).
 */
const TARGETS = readdirSync(path.join(__dirname, '..', 'targets'))
  .filter((file) => file.endsWith('.yaml') && !file.endsWith('.truth.yaml'))
  .map((file) => file.replace(/\.yaml$/, ''))
  .sort();

/** The Python example's packages, from Debian (there is no pip registry here). */
const PYTHON_MODULES = ['fastapi', 'uvicorn', 'sqlalchemy', 'asyncpg', 'jwt', 'prometheus_client', 'websockets'];
const PYTHON_PACKAGES = 'python3-fastapi python3-uvicorn python3-sqlalchemy python3-asyncpg python3-jwt python3-prometheus-client python3-websockets';

function pythonMissing(): string | undefined {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', `import ${PYTHON_MODULES.join(', ')}`], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : (probe.stderr || probe.error?.message || 'python3 not found').trim().split('\n').at(-1);
}

describe("each shipped target's verdicts agree with its ground truth", () => {
  it('every shipped target has its ground truth', () => {
    assert.ok(TARGETS.length >= 5, `targets/ holds ${TARGETS.join(', ')}`);
    for (const target of TARGETS) assert.ok(existsSync(truthFile(target)), `targets/${target}.yaml has no ground truth: targets/${target}.truth.yaml`);
  });

  for (const target of TARGETS) {
    it(`${target}: the seven cases judge as its ground truth says`, { timeout: 15 * 60_000 }, async () => {
      const usesPython = readFileSync(path.join(__dirname, '..', 'targets', `${target}.yaml`), 'utf8').includes('{{python}}');
      const missing = usesPython ? pythonMissing() : undefined;
      assert.equal(missing, undefined, `TARGET=${target} runs on Debian's Python packages, and they are missing (${missing}): install them with apt-get install ${PYTHON_PACKAGES} (.ci/run does, as root)`);
      const truth = loadGroundTruth(target);
      const report = path.join(os.tmpdir(), `pool-suite-truth-${target}-${process.pid}.json`);
      const verdicts = await runTarget(target, 'quick', report);
      rmSync(report, { force: true });
      const differences = differencesFromTruth(truth, verdicts);
      assert.deepEqual(differences, [], `TARGET=${target} judged differently from its ground truth in ${differences.length} checks:\n${differences.join('\n')}`);
    });
  }
});
