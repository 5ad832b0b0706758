import type { SuiteSettings } from '../suite-settings';
import type { Environment, Platform } from './deployment';

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
 * Services that are already running (a staging deployment, or `npm run stack` in another terminal):
 * the suite starts and stops nothing. The target description still says how they are driven and
 * read; before the run the suite asks each what its description says it reads (the pool's reports,
 * the abilities it declares), so a deployment that does not answer as described stops the run,
 * named, and an ability switched off there (fault injection) skips the scenarios that need it.
 */
export class RemoteEnvironment implements Environment {
  readonly name = 'remote';

  constructor(private readonly settings: SuiteSettings) {}

  async start(): Promise<Platform> {
    const target = remoteTargetFromEnv(this.settings.env);
    return {
      environment: this.name,
      adminUrl: target.auditDatabaseUrl,
      running: { backend: target.backendUrl, auth: target.authUrl },
      secrets: { admin: target.adminToken },
      dbPrefix: this.settings.dbPrefix,
    };
  }

  async stop(): Promise<void> {
    // Not ours to stop.
  }
}
