import { randomBytes } from 'node:crypto';
import { provisionDatabases, serviceDatabaseUrl, type ServiceDatabase } from '../../services/db/provision';
import type { SuiteSettings } from '../config';
import type { Deployment } from './deployment';
import { ServiceProcess } from './service-process';

/** Pool variables passed through to the services, so a run (or `npm run stack`) can shape them. */
const POOL_VARIABLES = [
  'POOL_SIZE', 'MAX_OVERFLOW', 'POOL_TIMEOUT', 'POOL_MAX_QUEUE', 'STATEMENT_TIMEOUT', 'LEAK_THRESHOLD',
  'HEALTH_WARN_UTILIZATION', 'HEALTH_TIMEOUT_WINDOW', 'HEALTH_CHECK_INTERVAL', 'LOG_LEVEL',
] as const;

const SERVICES = [{ service: 'backend', entry: 'services/backend/main.ts' }] as const;

/**
 * The system under test on a PostgreSQL server we administer: provision each service's role
 * (with its CONNECTION LIMIT) and database, then spawn the services as child processes.
 */
export class LocalSystem {
  private constructor(
    readonly deployment: Deployment,
    private readonly processes: ServiceProcess[],
  ) {}

  static async start(adminUrl: string, environment: string, settings: SuiteSettings): Promise<LocalSystem> {
    const databases: ServiceDatabase[] = SERVICES.map(({ service }) => ({
      service,
      role: `${settings.dbPrefix}${service}`,
      database: `${settings.dbPrefix}${service}`,
      password: randomBytes(12).toString('hex'), // per run; never stored
      connectionLimit: settings.serviceConnectionLimit,
    }));
    await provisionDatabases(adminUrl, databases);

    const adminToken = randomBytes(24).toString('hex');
    const poolEnv = Object.fromEntries(POOL_VARIABLES.flatMap((name) => (settings.env[name] ? [[name, settings.env[name]]] : [])));
    const processes: ServiceProcess[] = [];
    try {
      for (const [index, { service, entry }] of SERVICES.entries()) {
        processes.push(
          await ServiceProcess.start({
            name: service,
            entry,
            env: {
              ...poolEnv,
              DATABASE_URL: serviceDatabaseUrl(adminUrl, databases[index]!),
              ADMIN_TOKEN: adminToken,
              PORT: '0',
              FAULT_INJECTION: settings.faultInjection ? 'on' : 'off',
            },
          }),
        );
      }
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop()));
      throw error;
    }
    const urlOf = (name: string) => processes.find((p) => p.name === name)?.url;
    return new LocalSystem(
      {
        environment,
        backendUrl: urlOf('backend')!,
        authUrl: urlOf('auth'),
        adminToken,
        auditDatabaseUrl: adminUrl,
        faultInjection: settings.faultInjection,
      },
      processes,
    );
  }

  service(name: string): ServiceProcess | undefined {
    return this.processes.find((p) => p.name === name);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}
