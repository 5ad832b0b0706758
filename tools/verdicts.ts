/**
 * Verdicts of a target: what each check of the plan's seven cases said about a service described
 * in targets/<name>.yaml — met, not met (and what it did instead), not judged or not run (and why) —
 * and how that compares with the target's ground truth (targets/<name>.truth.yaml): the verdicts
 * written down before any run, from the service's code, docs and behaviour.
 *
 *   npm run verdicts -- python-plan                   # runs the seven cases on it (quick profile), writes docs/targets/python-plan-verdicts.md
 *   npm run verdicts -- python-plan --profile default
 *   npm run verdicts -- python-plan --compare         # also fails on any difference from targets/python-plan.truth.yaml
 *   npm run verdicts -- python-plan --from-report .run/verdicts-python-plan.json   # render a run's report again
 *   npm run verdicts -- --help
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { runCucumberForReport } from './run-cucumber';

const REPO_ROOT = path.resolve(__dirname, '..');
/** The plan's seven cases. */
export const SEVEN_CASES = '@phase1 or @phase2 or @phase3';
/** The one check every scenario has: what the After hook judges once its steps are done. */
export const AFTER_THE_SCENARIO = 'after the scenario: no request left hanging, no connection leaked, the pool reported throughout';

/** "error": the check itself failed (the suite's own fault, never a finding about the service). */
export type Verdict = 'met' | 'not met' | 'not judged' | 'not run' | 'error';

export interface CheckVerdict {
  check: string;
  verdict: Verdict;
  /** What the service did instead (not met), or why the check could not be judged or run. */
  detail: string | undefined;
}

export interface ScenarioVerdicts {
  feature: string;
  scenario: string;
  checks: CheckVerdict[];
}

interface JsonStep {
  keyword?: string;
  name?: string;
  hidden?: boolean;
  result: { status: string; error_message?: string };
  embeddings?: Array<{ mime_type: string; data: string }>;
}
interface JsonScenario {
  name: string;
  type: string;
  steps: JsonStep[];
}
interface JsonFeature {
  name: string;
  uri: string;
  elements?: JsonScenario[];
}

const textsOf = (step: JsonStep): string[] =>
  (step.embeddings ?? []).filter((e) => e.mime_type.startsWith('text/plain')).map((e) => Buffer.from(e.data, 'base64').toString('utf8'));
const textOf = (step: JsonStep, prefix: string): string | undefined => textsOf(step).find((text) => text.startsWith(prefix));

/** The first line of a failure, without the polling prefix and the stack. */
function firstLine(message: string | undefined): string {
  return (message ?? 'failed').split('\n')[0]!.replace(/^(AssertionError|Error): /, '').replace(/^still failing after \d+ ms: /, '').slice(0, 400);
}

/** What a "not met" attachment says the service did. */
const observedIn = (text: string): string => (/\nthe service did: ([\s\S]*)$/.exec(text)?.[1] ?? text).split('\n')[0]!.slice(0, 400);

/** The After hook's failures that are not a check's (the leak audit, the liveness promise, the pool's own reports). */
function afterFailures(message: string | undefined): string[] {
  return (message ?? '')
    .split('\n')
    .filter((line) => line.startsWith('- ') && !line.startsWith('- not met: '))
    .map((line) => line.slice(2));
}

/** The verdict of every check (Then step, and the And/But after it) of every scenario in a cucumber JSON report, and of its After hook. */
export function verdictsFromReport(features: readonly JsonFeature[]): ScenarioVerdicts[] {
  return features.flatMap((feature) =>
    (feature.elements ?? [])
      .filter((element) => element.type === 'scenario')
      .map((element) => {
        const steps = element.steps.filter((step) => !step.hidden && step.keyword && step.keyword.trim() !== 'After' && step.keyword.trim() !== 'Before');
        const hooks = element.steps.filter((step) => step.hidden || step.keyword?.trim() === 'Before' || step.keyword?.trim() === 'After');
        // Why the scenario did not run on: a Before hook's reason, or the action that was skipped.
        const hookReason = hooks.map((step) => textOf(step, 'not run on ') ?? textsOf(step).find((t) => / not run on /.test(t))).find((text) => text !== undefined);
        let notRunBecause: string | undefined;
        let kind: 'action' | 'check' = 'action';
        const checks: CheckVerdict[] = [];
        for (const step of steps) {
          const keyword = step.keyword!.trim();
          if (keyword === 'Given' || keyword === 'When') kind = 'action';
          else if (keyword === 'Then') kind = 'check';
          const status = step.result.status;
          if (kind === 'action') {
            if (status === 'skipped') notRunBecause ??= textOf(step, 'skipped: ') ?? hookReason ?? 'an earlier step did not run';
            if (status === 'failed') notRunBecause ??= `an action failed: ${firstLine(step.result.error_message)}`;
            continue;
          }
          const check = step.name!.trim();
          const notMet = textOf(step, 'not met: ');
          const notJudged = textOf(step, 'not judged: ');
          if (status === 'failed') checks.push({ check, verdict: 'error', detail: `the check itself failed: ${firstLine(step.result.error_message)}` });
          else if (status === 'passed' && notMet) checks.push({ check, verdict: 'not met', detail: observedIn(notMet) });
          else if (status === 'passed' && notJudged) checks.push({ check, verdict: 'not judged', detail: notJudged.replace(/^not judged: "[^"]*": /, '') });
          else if (status === 'passed') checks.push({ check, verdict: 'met', detail: undefined });
          else checks.push({ check, verdict: 'not run', detail: (notRunBecause ?? hookReason ?? 'an earlier step did not run').replace(/^skipped: "[^"]*": /, '') });
        }
        // The scenario's own check of what it left behind: not run when none of its steps ran.
        const after = hooks.find((step) => step.keyword?.trim() === 'After' && step.result.status === 'failed');
        const failures = afterFailures(after?.result.error_message);
        const neverRan = steps.every((step) => step.result.status === 'skipped');
        checks.push(
          failures.length > 0
            ? { check: AFTER_THE_SCENARIO, verdict: 'not met', detail: failures.join('; ').slice(0, 400) }
            : neverRan
              ? { check: AFTER_THE_SCENARIO, verdict: 'not run', detail: hookReason ?? notRunBecause ?? 'no step ran' }
              : { check: AFTER_THE_SCENARIO, verdict: 'met', detail: undefined },
        );
        return { feature: feature.name, scenario: element.name, checks };
      }),
  );
}

/** The verdicts keyed by scenario and check. */
export function verdictMap(verdicts: readonly ScenarioVerdicts[]): Record<string, Record<string, Verdict>> {
  return Object.fromEntries(verdicts.map((s) => [`${s.feature} / ${s.scenario}`, Object.fromEntries(s.checks.map((c) => [c.check, c.verdict]))]));
}

/** A target's ground truth: per scenario and check, the verdict and why, written before the run. */
export type GroundTruth = Record<string, Record<string, [Verdict, string]>>;

export const truthFile = (target: string): string => path.join(REPO_ROOT, 'targets', `${target}.truth.yaml`);

/** Reads targets/<name>.truth.yaml: `scenarios:` then, per "Feature / Scenario", each check with [verdict, why]. */
export function loadGroundTruth(target: string): GroundTruth {
  const raw = parseYaml(readFileSync(truthFile(target), 'utf8')) as { target?: string; scenarios?: GroundTruth };
  if (raw.target !== target || !raw.scenarios) throw new Error(`${truthFile(target)}: expected target: ${target} and scenarios:`);
  for (const [scenario, checks] of Object.entries(raw.scenarios)) {
    for (const [check, entry] of Object.entries(checks)) {
      const valid = Array.isArray(entry) && ['met', 'not met', 'not judged', 'not run'].includes(entry[0]) && typeof entry[1] === 'string' && entry[1].trim() !== '';
      if (!valid) throw new Error(`${truthFile(target)}: ${scenario} / ${check}: expected [verdict, why] with a verdict of met, not met, not judged or not run and a reason`);
    }
  }
  return raw.scenarios;
}

/** Where a run's verdicts differ from the ground truth, one line each, with the truth's reason and what the run said. */
export function differencesFromTruth(truth: GroundTruth, now: readonly ScenarioVerdicts[]): string[] {
  const differences: string[] = [];
  const fresh = new Map(now.map((s) => [`${s.feature} / ${s.scenario}`, new Map(s.checks.map((c) => [c.check, c]))]));
  for (const scenario of new Set([...Object.keys(truth), ...fresh.keys()])) {
    const expected = truth[scenario] ?? {};
    const ran = fresh.get(scenario) ?? new Map<string, CheckVerdict>();
    for (const check of new Set([...Object.keys(expected), ...ran.keys()])) {
      const [verdict, why] = expected[check] ?? ['(no such check in the ground truth)', ''];
      const got = ran.get(check);
      if (got?.verdict === verdict) continue;
      differences.push(`${scenario} / ${check}: the ground truth says ${verdict}${why ? ` (${why})` : ''}; the run said ${got?.verdict ?? '(no such check in the run)'}${got?.detail ? ` (${got.detail})` : ''}`);
    }
  }
  return differences;
}

const cell = (text: string | undefined): string => (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Verdicts counted. */
export function countVerdicts(verdicts: readonly ScenarioVerdicts[]): Record<Verdict, number> {
  const counts = { met: 0, 'not met': 0, 'not judged': 0, 'not run': 0, error: 0 } as Record<Verdict, number>;
  for (const s of verdicts) for (const c of s.checks) counts[c.verdict]++;
  return counts;
}

/** The verdict table, as markdown: per test case, each check with its verdict and what the service did. */
export function renderVerdicts(target: string, verdicts: readonly ScenarioVerdicts[], run: { profile: string; date: string; truth: string }): string {
  const counts = countVerdicts(verdicts);
  const lines = [
    `# Verdicts: ${target}`,
    '',
    `What the plan's seven test cases found on the target \`targets/${target}.yaml\` (\`npm run verdicts -- ${target}\`, profile \`${run.profile}\`, ${run.date}).`,
    `Checks: **${counts.met} met, ${counts['not met']} not met**, ${counts['not judged']} not judged (the target gives no evidence for them), ${counts['not run']} not run (an action the target cannot do)${counts.error ? `, **${counts.error} errors of the suite itself**` : ''}.`,
    `Against the ground truth (\`targets/${target}.truth.yaml\`, written before the run): ${run.truth}.`,
    '',
    'A check *not met* is a finding about the service, with what it did instead; *not judged* and *not run* say which piece the target lacks.',
    '',
  ];
  const findings = verdicts.flatMap((s) => s.checks.filter((c) => c.verdict === 'not met' || c.verdict === 'error').map((c) => ({ scenario: s.scenario, ...c })));
  if (findings.length > 0) {
    lines.push('## Findings', '', '| scenario | the plan expects | what the service did |', '|---|---|---|');
    for (const f of findings) lines.push(`| ${cell(f.scenario)} | ${cell(f.check)} | ${cell(f.detail)} |`);
    lines.push('');
  }
  let feature = '';
  for (const s of verdicts) {
    if (s.feature !== feature) {
      feature = s.feature;
      lines.push(`## ${feature}`, '');
    }
    lines.push(`**${s.scenario}**`, '', '| check | verdict | what the service did, or why |', '|---|---|---|');
    for (const c of s.checks) lines.push(`| ${cell(c.check)} | ${c.verdict === 'not met' || c.verdict === 'error' ? `**${c.verdict}**` : c.verdict} | ${cell(c.detail)} |`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Runs the seven cases on a target (cucumber-js as a user would), with a JSON report; resolves with the report's verdicts. */
export async function runTarget(target: string, profile: string, reportFile: string): Promise<ScenarioVerdicts[]> {
  mkdirSync(path.dirname(reportFile), { recursive: true });
  const { report } = await runCucumberForReport<JsonFeature[]>(['--profile', profile, '--tags', SEVEN_CASES], reportFile, { TARGET: target });
  return verdictsFromReport(report);
}

export const verdictsDoc = (target: string): string => path.join(REPO_ROOT, 'docs', 'targets', `${target}-verdicts.md`);

/** A ground truth to fill in: every scenario and check of the seven cases, each waiting for its verdict and why. */
export async function truthSkeleton(target: string): Promise<string> {
  const reportFile = path.join(REPO_ROOT, '.run', `skeleton-${target}.json`);
  mkdirSync(path.dirname(reportFile), { recursive: true });
  const { report } = await runCucumberForReport<JsonFeature[]>(['--dry-run', '--tags', SEVEN_CASES], reportFile);
  const lines = [
    `# Ground truth for targets/${target}.yaml: what each check of the plan's seven cases must find, and why —`,
    "# from the service's code, docs and behaviour (curl), written before any run (docs/your-own-service.md, \"Ground truth\").",
    '# Each check: [verdict, why], the verdict one of: met, not met, not judged, not run.',
    `target: ${target}`,
    'scenarios:',
  ];
  for (const scenario of verdictsFromReport(report)) {
    lines.push(`  ${JSON.stringify(`${scenario.feature} / ${scenario.scenario}`)}:`);
    for (const check of scenario.checks) lines.push(`    ${JSON.stringify(check.check)}: [?, ""]`);
  }
  return `${lines.join('\n')}\n`;
}

const USAGE = `usage: npm run verdicts -- <target> [--profile quick|default] [--compare] [--from-report <cucumber JSON report>]
       npm run verdicts -- <target> --skeleton      # prints a ground truth to fill in (every check of the seven cases)

Runs the plan's seven test cases on targets/<target>.yaml and writes the verdict of every check to
docs/targets/<target>-verdicts.md. With --compare, exits 1 when a verdict differs from the ground
truth in targets/<target>.truth.yaml (each difference printed with the truth's reason).`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { profile: { type: 'string', default: 'quick' }, 'from-report': { type: 'string' }, compare: { type: 'boolean', default: false }, skeleton: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  const target = positionals[0];
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!target) throw new Error(USAGE);
  if (values.skeleton) {
    process.stdout.write(await truthSkeleton(target));
    return;
  }
  const reportFile = values['from-report'];
  let verdicts: ScenarioVerdicts[];
  if (reportFile) {
    // Written again from a run's report (after a change to this file's rendering), without running.
    verdicts = verdictsFromReport(JSON.parse(readFileSync(reportFile, 'utf8')) as JsonFeature[]);
  } else {
    process.stderr.write(`verdicts: running the seven cases on TARGET=${target} (profile ${values.profile})\n`);
    verdicts = await runTarget(target, values.profile!, path.join(REPO_ROOT, '.run', `verdicts-${target}.json`));
  }
  const differences = existsSync(truthFile(target)) ? differencesFromTruth(loadGroundTruth(target), verdicts) : undefined;
  const checks = verdicts.reduce((n, s) => n + s.checks.length, 0);
  const truth = differences === undefined ? 'no ground truth yet' : `${checks - differences.length} of ${checks} checks agree${differences.length ? `, ${differences.length} differ` : ''}`;
  mkdirSync(path.dirname(verdictsDoc(target)), { recursive: true });
  writeFileSync(verdictsDoc(target), renderVerdicts(target, verdicts, { profile: values.profile!, date: new Date().toISOString().slice(0, 10), truth }));
  process.stdout.write(`written: ${path.relative(REPO_ROOT, verdictsDoc(target))} (${JSON.stringify(countVerdicts(verdicts))}; ground truth: ${truth})\n`);
  if (values.compare && differences === undefined) throw new Error(`no ground truth for ${target}: ${path.relative(REPO_ROOT, truthFile(target))}`);
  if (values.compare && differences!.length > 0) {
    process.stderr.write(`${differences!.join('\n')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`verdicts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
