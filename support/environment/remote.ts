import type { SuiteSettings } from '../suite-settings';
import { ServiceClient } from '../clients/service-client';
import type { DatabaseOnly, Deployment, Environment } from './deployment';

/** Variables TEST_ENV=remote cannot do without; DATABASE_URL (for the audit) is optional. */
const REQUIRED = ['BACKEND_URL', 'AUTH_URL', 'ADMIN_TOKEN'] as const;
const URL_VARIABLES = ['BACKEND_URL', 'AUTH_URL'] as const;

/** What the suite needs to reach a deployment it did not start, read and checked from the settings. */
export interface RemoteTarget {
  backendUrl: string;
  authUrl: string;
  adminToken: string;
  auditDatabaseUrl: string | undefined;
}

/** One error naming every missing or malformed variable, so a misconfigured run is fixed in one go. */
export function remoteTargetFromEnv(env: Record<string, string | undefined>): RemoteTarget {
  const problems: string[] = [];
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  for (const name of URL_VARIABLES) {
    const value = env[name]?.trim();
    if (value && !/^https?:\/\/[^\s/]+/.test(value)) problems.push(`${name}=${JSON.stringify(value)} is not an http(s) URL`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL is not a postgres:// or postgresql:// URL');
  if (problems.length > 0) {
    throw new Error(
      `TEST_ENV=remote: ${problems.join('; ')}. It needs BACKEND_URL, AUTH_URL and ADMIN_TOKEN of running services ` +
        '(and DATABASE_URL, a superuser URL, for the pg_stat_activity audit), e.g. the lines `npm run stack` prints.',
    );
  }
  return {
    backendUrl: env.BACKEND_URL!.trim().replace(/\/+$/, ''),
    authUrl: env.AUTH_URL!.trim().replace(/\/+$/, ''),
    adminToken: env.ADMIN_TOKEN!.trim(),
    auditDatabaseUrl: databaseUrl,
  };
}

/**
 * Services that are already running (a staging deployment, or `npm run stack` in another terminal).
 * Starts and stops nothing. Before the run it asks each service whether it answers and accepts the
 * admin token, and asks the backend what it allows (fault injection), so scenarios it cannot run are
 * skipped with a reason instead of failing halfway.
 */
export class RemoteEnvironment implements Environment {
  readonly name = 'remote';

  constructor(private readonly settings: SuiteSettings) {}

  async start(): Promise<Deployment> {
    const target = remoteTargetFromEnv(this.settings.env);
    const clients = [
      new ServiceClient('backend', target.backendUrl, target.adminToken),
      new ServiceClient('auth', target.authUrl, target.adminToken),
    ];
    const answers = await Promise.all(clients.map((client) => client.request('GET', '/admin/pool', { admin: true })));
    const problems = answers.flatMap((answer, index) => {
      const { service, baseUrl } = clients[index]!;
      if (answer.status === 0) return [`${service} at ${baseUrl} does not answer (${answer.error})`];
      if (answer.status === 401 || answer.status === 403) return [`${service} at ${baseUrl} refused ADMIN_TOKEN (${answer.status})`];
      if (answer.status !== 200) return [`${service} at ${baseUrl} answered GET /admin/pool with ${answer.status}`];
      return [];
    });
    if (problems.length > 0) throw new Error(`TEST_ENV=remote: ${problems.join('; ')}`);
    const backend = answers[0]!.body as { capabilities?: { faultInjection?: boolean } };
    return {
      environment: this.name,
      backendUrl: target.backendUrl,
      authUrl: target.authUrl,
      adminToken: target.adminToken,
      auditDatabaseUrl: target.auditDatabaseUrl,
      // Asked, not assumed: a deployment that does not announce it is treated as "off".
      faultInjection: backend.capabilities?.faultInjection === true,
    };
  }

  /** A target description names where its running services are; DATABASE_URL, if given, is the audit's. */
  async startDatabase(): Promise<DatabaseOnly> {
    return { adminUrl: this.settings.env.DATABASE_URL?.trim() || undefined };
  }

  async stop(): Promise<void> {
    // Not ours to stop.
  }
}
