/**
 * `npm run stack`: the whole system on the embedded default, for a person to explore by hand.
 * Prints BACKEND_URL=…, AUTH_URL=…, ADMIN_TOKEN=…, DATABASE_URL=… and READY, each on its own
 * line, then runs until Ctrl-C or SIGTERM and stops everything it started.
 */
import { loadSuiteSettings } from '../support/suite-settings';
import { createEnvironment } from '../support/environment';
import { onInterrupt } from '../testkit/interrupt';

async function main(): Promise<void> {
  const settings = loadSuiteSettings({ FAULT_INJECTION: 'off', ...process.env });
  const environment = createEnvironment(settings);
  onInterrupt(async () => {
    process.stderr.write('stack: stopping\n');
    await environment.stop();
    process.stderr.write('stack: stopped\n');
  });
  const deployment = await environment.start().catch(async (error: unknown) => {
    process.stderr.write(`stack: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await environment.stop();
    process.exit(1);
  });
  process.stdout.write(
    [
      `BACKEND_URL=${deployment.backendUrl}`,
      `AUTH_URL=${deployment.authUrl ?? ''}`,
      `ADMIN_TOKEN=${deployment.adminToken}`,
      `DATABASE_URL=${deployment.auditDatabaseUrl ?? ''}`,
      'READY',
      '',
    ].join('\n'),
  );
  // Stay up until a signal; the interrupt hook stops everything.
  setInterval(() => undefined, 1 << 30);
}

void main();
