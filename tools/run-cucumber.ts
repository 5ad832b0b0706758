import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Runs cucumber-js as a user would (from the repository's root, or a copy of it) with a JSON report, for the tools
 * that judge a run: its Allure results go to a directory of their own, so the user's allure-results/
 * stays as it was. Resolves with the parsed report; throws with the run's output when it wrote none.
 */
export async function runCucumberForReport<Report>(args: readonly string[], reportFile: string, env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): Promise<{ report: Report; code: number | null; output: string }> {
  const cli = path.join(path.dirname(require.resolve('@cucumber/cucumber/package.json')), 'bin', 'cucumber.js');
  const resultsDir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-tool-allure-'));
  const child = spawn(process.execPath, [cli, ...args, '--format', `json:${reportFile}`], {
    cwd,
    env: { ...process.env, ...env, ALLURE_RESULTS_DIR: resultsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  }).finally(() => rmSync(resultsDir, { recursive: true, force: true }));
  let report: Report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  } catch {
    throw new Error(`cucumber-js ${args.join(' ')} wrote no report (exit ${code}):\n${output.slice(-3000)}`);
  }
  return { report, code, output };
}
