/**
 * `npm run stack`: our whole system on the embedded default, for a person to explore by hand —
 * started as the suite starts it (targets/ours.yaml), with the shell's POOL_SIZE, AUTH_POOL_SIZE, …
 * given to the services (env/service-settings.ts). Prints BACKEND_URL=…, AUTH_URL=…, ADMIN_TOKEN=…,
 * DATABASE_URL=… and READY, each on its own line, then runs until Ctrl-C or SIGTERM and stops
 * everything it started.
 */
import { SERVICES } from '../env/service-settings';
import { createEnvironment } from '../support/environment';
import { passedThrough } from '../support/environment/service-environment';
import { loadSuiteSettings } from '../support/suite-settings';
import { loadTargetDescription } from '../support/targets/description';
import { TargetSystem } from '../support/targets/target-system';
import { onInterrupt } from '../testkit/interrupt';

async function main(): Promise<void> {
  const settings = loadSuiteSettings(process.env);
  const environment = createEnvironment(settings);
  let system: TargetSystem | undefined;
  onInterrupt(async () => {
    process.stderr.write('stack: stopping\n');
    await system?.stop();
    await environment.stop();
    process.stderr.write('stack: stopped\n');
  });
  try {
    const { description, file } = loadTargetDescription('ours');
    // What an operator sets in the shell reaches the services; fault injection stays off unless asked for.
    for (const service of SERVICES) {
      const about = description.services[service];
      if (!about?.start) continue;
      about.start.env = { ...about.start.env, FAULT_INJECTION: process.env.FAULT_INJECTION === 'on' ? 'on' : 'off', ...passedThrough(service, settings.env) };
    }
    const platform = await environment.start();
    system = await TargetSystem.start(description, file, platform);
    process.stdout.write(
      [`BACKEND_URL=${system.targets.backend!.url}`, `AUTH_URL=${system.targets.auth?.url ?? ''}`, `ADMIN_TOKEN=${system.secretValue('admin')}`, `DATABASE_URL=${platform.adminUrl ?? ''}`, 'READY', ''].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`stack: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await system?.stop();
    await environment.stop();
    process.exit(1);
  }
  // Stay up until a signal; the interrupt hook stops everything.
  setInterval(() => undefined, 1 << 30);
}

void main();
