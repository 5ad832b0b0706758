/**
 * Verdicts of a target: what each check of the plan's seven cases said about a service described in
 * targets/<name>.yaml — met, not met (and what it did instead), not judged or not run (and why).
 *
 *   npm run verdicts -- postgraphile              # runs the seven cases on it, writes docs/targets/postgraphile-verdicts.md
 *   npm run verdicts -- postgraphile --profile quick
 *   npm run verdicts -- postgraphile --from-report .run/verdicts-postgraphile.json   # render a run's report again
 *
 * The run's verdicts are also written to targets/<name>.verdicts.json, which npm test compares a
 * fresh run with (tools/target-verdicts.test.ts): the suite losing its power to see a finding shows
 * up there.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCucumberForReport } from './run-cucumber';

const REPO_ROOT = path.resolve(__dirname, '..');
/** The plan's seven cases. */
export const SEVEN_CASES = '@phase1 or @phase2 or @phase3';

export type Verdict = 'met' | 'not met' | 'not judged' | 'not run';

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
  before?: JsonStep[];
}
interface JsonFeature {
  name: string;
  uri: string;
  elements?: JsonScenario[];
}

const textOf = (step: JsonStep, prefix: string): string | undefined =>
  (step.embeddings ?? [])
    .filter((e) => e.mime_type.startsWith('text/plain'))
    .map((e) => Buffer.from(e.data, 'base64').toString('utf8'))
    .find((text) => text.startsWith(prefix) || prefix === '');

/** The first line of a failure, without the polling prefix and the stack. */
function firstLine(message: string | undefined): string {
  return (message ?? 'failed').split('\n')[0]!.replace(/^(AssertionError|Error): /, '').replace(/^still failing after \d+ ms: /, '').slice(0, 400);
}

/** The verdict of every check (Then step, and the And/But after it) of every scenario in a cucumber JSON report. */
export function verdictsFromReport(features: readonly JsonFeature[]): ScenarioVerdicts[] {
  return features.flatMap((feature) =>
    (feature.elements ?? [])
      .filter((element) => element.type === 'scenario')
      .map((element) => {
        const steps = element.steps.filter((step) => !step.hidden && step.keyword);
        // Why the scenario did not run on: a Before hook's reason, or the action that was skipped.
        const hookReason = element.steps.filter((step) => step.hidden).map((step) => textOf(step, '')).find((text) => text !== undefined);
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
            if (status === 'failed') notRunBecause ??= `an earlier step failed: ${firstLine(step.result.error_message)}`;
            continue;
          }
          const check = step.name!.trim();
          if (status === 'failed') checks.push({ check, verdict: 'not met', detail: firstLine(step.result.error_message) });
          else if (status === 'passed') {
            const notJudged = textOf(step, 'not judged: ');
            checks.push(notJudged ? { check, verdict: 'not judged', detail: notJudged.replace(/^not judged: "[^"]*": /, '') } : { check, verdict: 'met', detail: undefined });
          } else checks.push({ check, verdict: 'not run', detail: (notRunBecause ?? hookReason ?? 'an earlier check failed').replace(/^skipped: "[^"]*": /, '') });
        }
        return { feature: feature.name, scenario: element.name, checks };
      }),
  );
}

/** Just the verdicts, keyed by scenario and check: what npm test compares. */
export function verdictMap(verdicts: readonly ScenarioVerdicts[]): Record<string, Record<string, Verdict>> {
  return Object.fromEntries(verdicts.map((s) => [`${s.feature} / ${s.scenario}`, Object.fromEntries(s.checks.map((c) => [c.check, c.verdict]))]));
}

/** Where a fresh run's verdicts differ from the recorded ones, one line each ("scenario / check: recorded met, now not met (detail)"). */
export function verdictChanges(recorded: Record<string, Record<string, Verdict>>, now: readonly ScenarioVerdicts[]): string[] {
  const changes: string[] = [];
  const fresh = verdictMap(now);
  const details = new Map<string, string | undefined>(now.flatMap((s) => s.checks.map((c) => [`${s.feature} / ${s.scenario} / ${c.check}`, c.detail])));
  for (const scenario of new Set([...Object.keys(recorded), ...Object.keys(fresh)])) {
    const before = recorded[scenario] ?? {};
    const after = fresh[scenario] ?? {};
    for (const check of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[check] === after[check]) continue;
      const detail = details.get(`${scenario} / ${check}`);
      changes.push(`${scenario} / ${check}: recorded ${before[check] ?? '(no such check)'}, now ${after[check] ?? '(no such check)'}${detail ? ` (${detail})` : ''}`);
    }
  }
  return changes;
}

const cell = (text: string | undefined): string => (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The verdict table, as markdown: per test case, each check with its verdict and what the service did. */
export function renderVerdicts(target: string, verdicts: readonly ScenarioVerdicts[], run: { profile: string; date: string }): string {
  const counts = { met: 0, 'not met': 0, 'not judged': 0, 'not run': 0 } as Record<Verdict, number>;
  for (const s of verdicts) for (const c of s.checks) counts[c.verdict]++;
  const lines = [
    `# Verdicts: ${target}`,
    '',
    `What the plan's seven test cases found on the target \`targets/${target}.yaml\` (\`npm run verdicts -- ${target}\`, profile \`${run.profile}\`, ${run.date}).`,
    `Checks: **${counts.met} met, ${counts['not met']} not met**, ${counts['not judged']} not judged (the target gives no evidence for them), ${counts['not run']} not run (an action the target cannot do, or an earlier failure).`,
    '',
    'A check *not met* is a finding about the service, with what it did instead; *not judged* and *not run* say which piece the target lacks.',
    '',
  ];
  const findings = verdicts.flatMap((s) => s.checks.filter((c) => c.verdict === 'not met').map((c) => ({ scenario: s.scenario, ...c })));
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
    for (const c of s.checks) lines.push(`| ${cell(c.check)} | ${c.verdict === 'not met' ? '**not met**' : c.verdict} | ${cell(c.detail)} |`);
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

export const verdictsFile = (target: string): string => path.join(REPO_ROOT, 'targets', `${target}.verdicts.json`);
export const verdictsDoc = (target: string): string => path.join(REPO_ROOT, 'docs', 'targets', `${target}-verdicts.md`);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { profile: { type: 'string', default: 'default' }, 'from-report': { type: 'string' } } });
  const target = positionals[0];
  if (!target) throw new Error('usage: npm run verdicts -- <target> [--profile default|quick] [--from-report <cucumber JSON report of such a run>]');
  const reportFile = values['from-report'];
  let verdicts: ScenarioVerdicts[];
  if (reportFile) {
    // Written again from a run's report (after a change to this file's rendering), without running.
    verdicts = verdictsFromReport(JSON.parse(readFileSync(reportFile, 'utf8')) as JsonFeature[]);
  } else {
    process.stderr.write(`verdicts: running the seven cases on TARGET=${target} (profile ${values.profile})\n`);
    verdicts = await runTarget(target, values.profile!, path.join(REPO_ROOT, '.run', `verdicts-${target}.json`));
  }
  writeFileSync(verdictsFile(target), `${JSON.stringify(verdictMap(verdicts), null, 2)}\n`);
  mkdirSync(path.dirname(verdictsDoc(target)), { recursive: true });
  writeFileSync(verdictsDoc(target), renderVerdicts(target, verdicts, { profile: values.profile!, date: new Date().toISOString().slice(0, 10) }));
  process.stdout.write(`written: ${path.relative(REPO_ROOT, verdictsFile(target))}, ${path.relative(REPO_ROOT, verdictsDoc(target))}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`verdicts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
