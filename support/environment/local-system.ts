import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ServiceName } from '../../env/service-settings';
import { REPO_ROOT, ServiceProcess, type ServiceSpec } from '../../testkit/service-process';
import type { SuiteSettings } from '../suite-settings';
import type { Deployment } from './deployment';
import { passedThrough, withoutInherited } from './service-environment';

/** In start order: auth first, since the backend verifies its tokens (AUTH_URL). */
const SERVICES: ReadonlyArray<{ service: ServiceName; entry: string }> = [
  { service: 'auth', entry: 'services/auth/main.ts' },
  { service: 'backend', entry: 'services/backend/main.ts' },
];

/** One service's slice of PostgreSQL, as provisioning creates it. */
interface ServiceDatabase {
  service: ServiceName;
  role: string;
  database: string;
  password: string;
}

/** The URL a service connects with: its own role on its own database, on the admin URL's server. */
function serviceDatabaseUrl(adminUrl: string, db: ServiceDatabase): string {
  const url = new URL(adminUrl);
  url.username = db.role;
  url.password = db.password;
  url.pathname = `/${db.database}`;
  return url.toString();
}

/**
 * Creates each service's role (with its CONNECTION LIMIT), database and migrations by running the
 * system's own provisioning command (services/db/provision-main.ts, the compose stack's one-shot):
 * the suite does not import the system it judges.
 */
async function provision(adminUrl: string, databases: readonly ServiceDatabase[], settings: SuiteSettings): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ADMIN_DATABASE_URL: adminUrl,
    SERVICES: databases.map((db) => db.service).join(','),
    DB_PREFIX: settings.dbPrefix,
    SERVICE_CONNECTION_LIMIT: String(settings.serviceConnectionLimit),
    TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'),
    ...Object.fromEntries(databases.map((db) => [`${db.service.toUpperCase()}_DB_PASSWORD`, db.password])),
  };
  const child = spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', 'services/db/provision-main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`provisioning the services' databases failed (exit ${code}): ${output.trim()}`);
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
    }));
    await provision(adminUrl, databases, settings);

    const adminToken = randomBytes(24).toString('hex');
    const processes: ServiceProcess[] = [];
    const specs: ServiceSpec[] = [];
    const urlOf = (name: string) => processes.find((p) => p.name === name)?.url;
    try {
      for (const [index, { service, entry }] of SERVICES.entries()) {
        const authUrl = urlOf('auth');
        const spec: ServiceSpec = {
          name: service,
          entry,
          env: withoutInherited(service, {
            ...passedThrough(service, settings.env),
            ...(service === 'backend' && authUrl ? { AUTH_URL: authUrl } : {}),
            DATABASE_URL: serviceDatabaseUrl(adminUrl, databases[index]!),
            ADMIN_TOKEN: adminToken,
            PORT: '0',
            ...(service === 'backend' ? { FAULT_INJECTION: settings.faultInjection ? 'on' : 'off' } : {}),
          }),
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
        auditDatabases: databases.map((db) => db.database),
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
