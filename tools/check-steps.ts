/**
 * `npm run test:dry`: a dry run of every feature that fails when a step is undefined or ambiguous
 * (cucumber's own --dry-run reports them but exits 0), or when a scenario's actions need what its
 * tags do not ask for (support/needs.ts): a target without it would then stop the scenario halfway
 * instead of skipping it before it starts; or when a scenario asks one check twice in the same
 * words (its verdicts, and a ground truth, name a check by its words).
 */
import type * as messages from '@cucumber/messages';
import { loadConfiguration, runCucumber } from '@cucumber/cucumber/api';
import { ACTION_NEEDS, KNOWN_NEEDS } from '../support/needs';

async function main(): Promise<void> {
  process.env.CUCUMBER_STEP_CHECK = '1'; // cucumber.js leaves allure-results/ alone
  const { runConfiguration } = await loadConfiguration({ profiles: ['dry'] });
  const problems = new Map<string, number>();
  const patterns = new Map<string, string>();
  const pickles = new Map<string, messages.Pickle>();
  const untagged: string[] = [];
  const { success } = await runCucumber(runConfiguration, undefined, (envelope) => {
    const status = envelope.testStepFinished?.testStepResult.status;
    if (status === 'UNDEFINED' || status === 'AMBIGUOUS') problems.set(status, (problems.get(status) ?? 0) + 1);
    if (envelope.stepDefinition) patterns.set(envelope.stepDefinition.id, envelope.stepDefinition.pattern.source);
    if (envelope.pickle) pickles.set(envelope.pickle.id, envelope.pickle);
    const testCase = envelope.testCase;
    if (!testCase) return;
    const pickle = pickles.get(testCase.pickleId)!;
    const tags = new Set(pickle.tags.map((tag) => tag.name));
    for (const tag of tags) if (tag.startsWith('@needs-') && !KNOWN_NEEDS.includes(tag)) untagged.push(`${pickle.uri}: "${pickle.name}": ${tag} is no need the suite knows (${KNOWN_NEEDS.join(', ')})`);
    const checks = pickle.steps.filter((s) => s.type === 'Outcome').map((s) => s.text);
    for (const check of new Set(checks.filter((text, index) => checks.indexOf(text) !== index))) untagged.push(`${pickle.uri}: "${pickle.name}": asks "${check}" twice; word the second differently (its verdict is named by its words)`);
    for (const step of testCase.testSteps) {
      const pickleStep = pickle.steps.find((s) => s.id === step.pickleStepId);
      if (!pickleStep || pickleStep.type === 'Outcome') continue;
      for (const id of step.stepDefinitionIds ?? []) {
        const missing = (ACTION_NEEDS[patterns.get(id) ?? ''] ?? []).filter((need) => !tags.has(need));
        if (missing.length > 0) untagged.push(`${pickle.uri}: "${pickle.name}": its step "${pickleStep.text}" needs ${missing.join(', ')}, which its tags do not ask for`);
      }
    }
  });
  if (problems.size > 0 || untagged.length > 0 || !success) {
    const found = [...problems].map(([status, count]) => `${count} ${status.toLowerCase()}`).join(', ');
    process.stderr.write(`dry run found step problems: ${found || (untagged.length ? '' : 'run failed')}\n${[...new Set(untagged)].join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('dry run: every step is defined exactly once, every scenario asks by tag for what its actions need, and no scenario asks a check twice in the same words\n');
}

void main();
