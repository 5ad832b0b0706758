import { randomBytes } from 'node:crypto';
import { provisionDatabases, serviceDatabaseUrl, type ServiceDatabase } from '../../services/db/provision';
import type { SuiteSettings } from '../config';
import type { Deployment } from './deployment';
import { ServiceProcess, type ServiceSpec } from './service-process';

/** Pool variables passed through to the services, so a run (or `npm run stack`) can shape them. */
const POOL_VARIABLES = [
  'POOL_SIZE', 'MAX_OVERFLOW', 'POOL_TIMEOUT', 'POOL_MAX_QUEUE', 'STATEMENT_TIMEOUT', 'LEAK_THRESHOLD',
  'LEAK_RECLAIM', 'TRACE_CHECKOUTS', 'RECOVERY_AFTER', 'LONG_STATEMENT_LIMIT', 'BREAKER_FAILURES', 'BREAKER_HALF_OPEN_AFTER',
  'HEALTH_WARN_UTILIZATION', 'HEALTH_TIMEOUT_WINDOW', 'HEALTH_CHECK_INTERVAL', 'LOG_LEVEL',
] as const;

/**
 * In start order: auth first, since the backend verifies its tokens (AUTH_URL). `envPrefix` names
 * each service's own variables: AUTH_POOL_SIZE reaches the auth process as POOL_SIZE.
 */
const SERVICES = [
  { service: 'auth', entry: 'services/auth/main.ts', envPrefix: 'AUTH_' },
  { service: 'backend', entry: 'services/backend/main.ts', envPrefix: '' },
] as const;

/**
 * One service's pool variables from the run's settings (LOG_LEVEL is shared by all). A variable
 * left unset is passed as undefined, which spawn drops: otherwise the shell's POOL_SIZE, inherited
 * with the rest of the environment, would reach the auth service too.
 */
function poolEnvFor(settings: SuiteSettings, envPrefix: string): Record<string, string> {
  const env: Record<string, string | undefined> = {};
  for (const name of [...POOL_VARIABLES, 'TOKEN_TTL']) {
    env[name] = settings.env[name === 'LOG_LEVEL' ? name : `${envPrefix}${name}`] || undefined;
  }
  return env as Record<string, string>;
}

/**
 * The system under test on a PostgreSQL server we administer: provision each service's role
 * (with its CONNECTION LIMIT) and database, then spawn the services as child processes.
 */
export class LocalSystem {
  /** Instances started on request (spawnService), stopped with the rest if their caller did not. */
  private readonly extras: ServiceProcess[] = [];

  private constructor(
    readonly deployment: Deployment,
    private readonly processes: ServiceProcess[],
    private readonly specs: ServiceSpec[],
  ) {
    deployment.spawnService = (service, envOverrides) => this.spawn(service, envOverrides);
  }

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
    const processes: ServiceProcess[] = [];
    const specs: ServiceSpec[] = [];
    const urlOf = (name: string) => processes.find((p) => p.name === name)?.url;
    try {
      for (const [index, { service, entry, envPrefix }] of SERVICES.entries()) {
        const authUrl = urlOf('auth');
        const spec: ServiceSpec = {
          name: service,
          entry,
          env: {
            ...poolEnvFor(settings, envPrefix),
            ...(service === 'backend' && authUrl ? { AUTH_URL: authUrl } : {}),
            DATABASE_URL: serviceDatabaseUrl(adminUrl, databases[index]!),
            ADMIN_TOKEN: adminToken,
            PORT: '0',
            FAULT_INJECTION: settings.faultInjection ? 'on' : 'off',
          },
        };
        specs.push(spec);
        processes.push(await ServiceProcess.start(spec));
      }
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop()));
      throw error;
    }
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
      specs,
    );
  }

  private async spawn(service: string, envOverrides: Record<string, string>): Promise<ServiceProcess> {
    const spec = this.specs.find((s) => s.name === service);
    if (!spec) throw new Error(`${service} is not a service of this system`);
    const instance = await ServiceProcess.start({ ...spec, env: { ...spec.env, PORT: '0', ...envOverrides } });
    this.extras.push(instance);
    return instance;
  }

  service(name: string): ServiceProcess | undefined {
    return this.processes.find((p) => p.name === name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.extras, ...this.processes].map((p) => p.stop()));
  }
}
