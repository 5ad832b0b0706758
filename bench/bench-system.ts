import { DatabaseAudit } from '../support/clients/database-audit';
import { EmbeddedEnvironment } from '../support/environment/embedded';
import { loadSuiteSettings } from '../support/suite-settings';
import { loadTargetDescription } from '../support/targets/description';
import { TargetSystem } from '../support/targets/target-system';
import { BackendClient } from './backend-client';

/** What the bench parts run against: PostgreSQL (a superuser URL) and the real backend. */
export interface BenchSystem {
  adminUrl: string;
  backend: BackendClient;
  postgresVersion: string;
}

/**
 * Starts embedded PostgreSQL and our services exactly as the suite does (targets/ours.yaml: same
 * provisioning, same child processes), runs `work`, and stops everything afterwards — also when
 * `work` throws. The bench speaks the backend's admin API with the secret the run gave it.
 */
export async function withBenchSystem<T>(work: (system: BenchSystem) => Promise<T>): Promise<T> {
  const environment = new EmbeddedEnvironment(loadSuiteSettings());
  let system: TargetSystem | undefined;
  try {
    const platform = await environment.start();
    const { description, file } = loadTargetDescription('ours');
    system = await TargetSystem.start(description, file, platform);
    const backend = system.targets.backend!;
    return await work({
      adminUrl: platform.adminUrl!,
      backend: new BackendClient('backend', backend.url, system.secretValue('admin')),
      postgresVersion: await serverVersion(platform.adminUrl!),
    });
  } finally {
    await system?.stop();
    await environment.stop();
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
  backend: BackendClient,
  limits: { poolSize: number; maxOverflow: number; poolTimeoutSeconds: number; maxQueue: number },
): Promise<void> {
  const outcome = await backend.configurePool(limits);
  if (outcome.status !== 200) throw new Error(`PUT /admin/pool/config ${JSON.stringify(limits)} answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
}
