import type { SuiteSettings } from '../suite-settings';
import type { Environment, Platform } from './deployment';

/** A PostgreSQL server you run (DATABASE_URL with rights to create roles and databases); the services are started by the suite. */
export class ExternalEnvironment implements Environment {
  readonly name = 'external';

  constructor(private readonly settings: SuiteSettings) {}

  async start(): Promise<Platform> {
    const adminUrl = this.settings.env.DATABASE_URL;
    if (!adminUrl) throw new Error('TEST_ENV=external needs DATABASE_URL: a PostgreSQL URL with rights to create roles and databases');
    return { environment: this.name, adminUrl, running: {}, secrets: {}, dbPrefix: this.settings.dbPrefix };
  }

  async stop(): Promise<void> {
    // The server is yours: the roles and databases the suite made stay for the next run.
  }
}
