/**
 * `npm run test:dry`: a dry run of every feature that fails when a step is undefined or
 * ambiguous (cucumber's own --dry-run reports them but exits 0).
 */
import { loadConfiguration, runCucumber } from '@cucumber/cucumber/api';

async function main(): Promise<void> {
  process.env.CUCUMBER_STEP_CHECK = '1'; // cucumber.js leaves allure-results/ alone
  const { runConfiguration } = await loadConfiguration({ profiles: ['dry'] });
  const problems = new Map<string, number>();
  const { success } = await runCucumber(runConfiguration, undefined, (envelope) => {
    const status = envelope.testStepFinished?.testStepResult.status;
    if (status === 'UNDEFINED' || status === 'AMBIGUOUS') problems.set(status, (problems.get(status) ?? 0) + 1);
  });
  if (problems.size > 0 || !success) {
    const found = [...problems].map(([status, count]) => `${count} ${status.toLowerCase()}`).join(', ');
    process.stderr.write(`dry run found step problems: ${found || 'run failed'}\n`);
    process.exit(1);
  }
  process.stdout.write('dry run: every step is defined exactly once\n');
}

void main();
