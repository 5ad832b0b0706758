import { DatabaseAudit } from '../support/clients/database-audit';
import { ServiceClient } from '../support/clients/service-client';
import { loadSuiteSettings } from '../support/suite-settings';
import { EmbeddedDatabase } from '../testkit/embedded-database';
import { LocalSystem } from '../support/environment/local-system';

/** What the bench parts run against: PostgreSQL (a superuser URL) and the real backend. */
export interface BenchSystem {
  adminUrl: string;
  backend: ServiceClient;
  postgresVersion: string;
}

/**
 * Starts embedded PostgreSQL and the backend exactly as the suite does (same provisioning, same
 * child process), runs `work`, and stops everything afterwards — also when `work` throws.
 */
export async function withBenchSystem<T>(work: (system: BenchSystem) => Promise<T>): Promise<T> {
  const settings = loadSuiteSettings();
  const database = new EmbeddedDatabase(settings.postgresMaxConnections);
  let local: LocalSystem | undefined;
  try {
    const adminUrl = await database.start();
    local = await LocalSystem.start(adminUrl, 'embedded', settings);
    const { backendUrl, adminToken } = local.deployment;
    return await work({
      adminUrl,
      backend: new ServiceClient('backend', backendUrl, adminToken),
      postgresVersion: await serverVersion(adminUrl),
    });
  } finally {
    await local?.stop();
    await database.stop();
  }
}

async function serverVersion(adminUrl: string): Promise<string> {
  const audit = await DatabaseAudit.connect(adminUrl);
  try {
    return await audit.serverVersion();
  } finally {
    await audit.close();
  }
}

/** Applies a pool shape through the admin API and fails loudly if the service refuses it. */
export async function configureBackendPool(
  backend: ServiceClient,
  limits: { poolSize: number; maxOverflow: number; poolTimeoutSeconds: number; maxQueue: number },
): Promise<void> {
  const outcome = await backend.configurePool(limits);
  if (outcome.status !== 200) throw new Error(`PUT /admin/pool/config ${JSON.stringify(limits)} answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
}
