/**
 * The container image's one-shot provisioning command (env/docker-compose.yml, service `provision`):
 * creates each service's role (with its CONNECTION LIMIT) and database and applies the plain-SQL
 * migrations — the same code the suite runs for the embedded and external targets, so a compose
 * stack is laid out exactly like the stacks the suite proves here.
 */
import { ConfigError } from '../common/settings';
import { provisionDatabases, type ServiceDatabase } from './provision';

export interface ProvisioningPlan {
  adminUrl: string;
  databases: ServiceDatabase[];
}

/**
 * ADMIN_DATABASE_URL (superuser), SERVICES (comma list), DB_PREFIX, SERVICE_CONNECTION_LIMIT and
 * <SERVICE>_DB_PASSWORD for each service. A bad or missing value is one error naming it.
 */
export function provisioningFromEnv(env: NodeJS.ProcessEnv): ProvisioningPlan {
  const adminUrl = env.ADMIN_DATABASE_URL ?? '';
  if (!/^postgres(ql)?:\/\//.test(adminUrl)) throw new ConfigError('ADMIN_DATABASE_URL', adminUrl ? '<redacted>' : '', 'a postgres:// or postgresql:// superuser URL');
  const rawServices = env.SERVICES ?? 'backend,auth';
  const services = rawServices.split(',').map((s) => s.trim()).filter(Boolean);
  if (services.length === 0 || services.some((s) => !/^[a-z][a-z0-9_]*$/.test(s))) {
    throw new ConfigError('SERVICES', rawServices, 'a comma-separated list of service names (lower case letters, digits, _)');
  }
  const prefix = env.DB_PREFIX ?? 'poolsuite_';
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new ConfigError('DB_PREFIX', prefix, 'lower case letters, digits and _');
  const rawLimit = env.SERVICE_CONNECTION_LIMIT ?? '60';
  const connectionLimit = Number(rawLimit);
  if (!/^\d+$/.test(rawLimit) || connectionLimit < 1) throw new ConfigError('SERVICE_CONNECTION_LIMIT', rawLimit, 'a positive integer');
  const databases = services.map((service) => {
    const variable = `${service.toUpperCase()}_DB_PASSWORD`;
    const password = env[variable] ?? '';
    if (password.length < 8) throw new ConfigError(variable, password ? '<redacted>' : '', 'a password of at least 8 characters');
    return { service, role: `${prefix}${service}`, database: `${prefix}${service}`, password, connectionLimit };
  });
  return { adminUrl, databases };
}

async function main(): Promise<void> {
  try {
    const { adminUrl, databases } = provisioningFromEnv(process.env);
    await provisionDatabases(adminUrl, databases);
    process.stdout.write(`provisioned ${databases.map((db) => `${db.role} (connection limit ${db.connectionLimit})`).join(', ')}\n`);
  } catch (error) {
    const prefix = error instanceof ConfigError ? 'provision: invalid configuration: ' : 'provision: ';
    process.stderr.write(`${prefix}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}

if (require.main === module) void main();
