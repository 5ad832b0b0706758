/**
 * `npm run prove:breaks [-- <name> …]`: the suite's power to see, proven. Each break in
 * tools/breaks/breaks.yaml is a realistic defect, kept as a patch: it is applied to a copy of the
 * repository, the scenarios that should see it run on the target it breaks, and the verdicts must
 * differ from the target's ground truth in exactly the checks the break names (with the words it
 * names) — and in nothing else. A break the suite does not see, or one that turns unrelated checks
 * red, fails here.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { runCucumberForReport } from './run-cucumber';
import { SEVEN_CASES, differencesFromTruth, loadGroundTruth, verdictsFromReport, type GroundTruth, type ScenarioVerdicts } from './verdicts';

const REPO_ROOT = path.resolve(__dirname, '..');
const BREAKS_DIR = path.join(REPO_ROOT, 'tools', 'breaks');

/** One break: what it breaks, where, which scenarios see it, and the checks it must turn (and how they say it). */
export interface Break {
  name: string;
  /** The class of defect it stands for (issue 22's four, or issue 20's plan-following breaks). */
  class: string;
  defect: string;
  target: string;
  /** Scenario names to run (regular expressions, as --name takes them); all seven cases when absent. */
  scenarios?: string[];
  /** Every difference from the ground truth the break must make: scenario ("Feature / Scenario"), check, the verdict it turns to, and words of what the service did. */
  expect: Array<{ scenario: string; check: string; verdict: string; says?: string }>;
}

const BREAKS = z.array(
  z.strictObject({
    name: z.string().regex(/^[a-z0-9-]+$/),
    class: z.string(),
    defect: z.string(),
    target: z.string(),
    scenarios: z.array(z.string()).optional(),
    expect: z.array(z.strictObject({ scenario: z.string(), check: z.string(), verdict: z.enum(['met', 'not met', 'not judged', 'not run', 'error']), says: z.string().optional() })).min(1),
  }),
);

export function loadBreaks(): Break[] {
  const file = path.join(BREAKS_DIR, 'breaks.yaml');
  const parsed = BREAKS.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** A copy of the repository's tracked and new files (node_modules linked, not copied), with the break's patch applied. */
function patchedCopy(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pool-suite-break-${name}-`));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    try {
      mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    } catch {
      // a file deleted in the working tree: not part of the copy
    }
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const patch = spawnSync('patch', ['-p1', '--forward', '--input', path.join(BREAKS_DIR, `${name}.patch`)], { cwd: dir, encoding: 'utf8' });
  if (patch.status !== 0) throw new Error(`${name}.patch does not apply: ${patch.stdout}${patch.stderr}`);
  return dir;
}

/** The ground truth of the scenarios that ran. */
function truthOf(truth: GroundTruth, ran: readonly ScenarioVerdicts[]): GroundTruth {
  const names = new Set(ran.map((s) => `${s.feature} / ${s.scenario}`));
  return Object.fromEntries(Object.entries(truth).filter(([scenario]) => names.has(scenario)));
}

/** What a break's run showed against what it must show: empty when the suite saw exactly the break. */
export function judgeBreak(broken: Break, differences: readonly string[]): string[] {
  const problems: string[] = [];
  const unexplained = [...differences];
  for (const expected of broken.expect) {
    const prefix = `${expected.scenario} / ${expected.check}: `;
    const index = unexplained.findIndex((line) => line.startsWith(prefix) && line.includes(`the run said ${expected.verdict}`));
    if (index < 0) {
      problems.push(`not seen: ${expected.scenario} / ${expected.check} should turn ${expected.verdict}${differences.find((d) => d.startsWith(prefix)) ? ` (the run: ${differences.find((d) => d.startsWith(prefix))})` : ', but agreed with the ground truth'}`);
      continue;
    }
    if (expected.says && !unexplained[index]!.includes(expected.says)) problems.push(`seen, but not for the reason it names ("${expected.says}"): ${unexplained[index]}`);
    unexplained.splice(index, 1);
  }
  for (const line of unexplained) problems.push(`turned as well (it should not): ${line}`);
  return problems;
}

/** Applies one break, runs what should see it, and answers what was wrong (empty: proven) with the run's differences. */
export async function proveBreak(broken: Break): Promise<{ problems: string[]; differences: string[] }> {
  const copy = patchedCopy(broken.name);
  try {
    const report = path.join(copy, '.run', 'break.json');
    mkdirSync(path.dirname(report), { recursive: true });
    const names = (broken.scenarios ?? []).flatMap((name) => ['--name', name]);
    const { report: json } = await runCucumberForReport<Parameters<typeof verdictsFromReport>[0]>(['--profile', 'quick', '--tags', SEVEN_CASES, ...names], report, { TARGET: broken.target }, copy);
    const verdicts = verdictsFromReport(json);
    const differences = differencesFromTruth(truthOf(loadGroundTruth(broken.target), verdicts), verdicts);
    return { problems: judgeBreak(broken, differences), differences };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const breaks = loadBreaks().filter((b) => wanted.length === 0 || wanted.includes(b.name));
  if (breaks.length === 0) throw new Error(`no such break: ${wanted.join(', ')} (tools/breaks/breaks.yaml has ${loadBreaks().map((b) => b.name).join(', ')})`);
  let failed = 0;
  for (const broken of breaks) {
    process.stdout.write(`\n${broken.name} (${broken.class}): ${broken.defect}\n`);
    const { problems, differences } = await proveBreak(broken);
    for (const line of differences) process.stdout.write(`  seen: ${line}\n`);
    if (problems.length === 0) process.stdout.write('  proven: the suite saw exactly this break\n');
    else {
      failed++;
      for (const line of problems) process.stdout.write(`  NOT PROVEN: ${line}\n`);
    }
  }
  process.stdout.write(`\n${breaks.length - failed} of ${breaks.length} breaks proven\n`);
  if (failed > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`prove:breaks: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
