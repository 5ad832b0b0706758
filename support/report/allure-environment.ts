import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringifyEnvInfo } from 'allure-js-commons/sdk/reporter';
import { DatabaseAudit } from '../clients/database-audit';
import { parallelWorker } from '../parallel';
import { describeKnobs, describeSettings } from '../targets/settings';
import type { RunningSystem } from '../system-under-test';

/** Where allure-cucumberjs writes its results (cucumber.js `resultsDir`; ALLURE_RESULTS_DIR moves it). */
export const ALLURE_RESULTS_DIR = process.env.ALLURE_RESULTS_DIR || 'allure-results';

/**
 * The report's "Environment" panel: what this run ran on. Written once the system is up, since the
 * PostgreSQL version and the services' pool limits are known only then (formatOptions are static).
 */
export async function describeRun(system: RunningSystem, profile: string): Promise<Record<string, string>> {
  const { platform } = system;
  const info: Record<string, string> = {
    'Node.js': process.version,
    TEST_ENV: platform.environment,
    Target: `${system.targetName} (${path.relative(process.cwd(), system.descriptionFile)})`,
    Profile: profile,
    PostgreSQL: await postgresVersion(system.auditDatabaseUrl, system.auditDatabases),
  };
  // The target's own settings at the start of each scenario, and which of them the suite can change.
  for (const [service, target] of Object.entries(system.targets)) {
    info[`Start-up settings (${service})`] = describeSettings(target!.settings);
    info[`Settings the suite changes (${service})`] = describeKnobs(target!.knobs);
    info[`Abilities (${service})`] = Object.keys(target!.abilities).join(', ') || 'none';
  }
  for (const [service, url] of Object.entries(platform.running)) info[`Already running (${service})`] = url!;
  // Each worker writes this file with the same content: a system of its own, started alike.
  const worker = parallelWorker();
  if (worker) info['Parallel workers'] = `${worker.total}, each with its own system`;
  return info;
}

async function postgresVersion(auditUrl: string | undefined, databases: readonly string[]): Promise<string> {
  if (!auditUrl) return 'unknown (no database access on this target)';
  const audit = await DatabaseAudit.connect(auditUrl, databases);
  try {
    return await audit.serverVersion();
  } finally {
    await audit.close();
  }
}

/** environment.properties in the results directory, in the format Allure 2 and 3 both read. */
export function writeAllureEnvironment(info: Record<string, string>, resultsDir: string = ALLURE_RESULTS_DIR): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'environment.properties'), stringifyEnvInfo(info));
}
