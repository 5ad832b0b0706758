import type { SuiteSettings } from '../suite-settings';
import type { DatabaseOnly, Deployment, Environment } from './deployment';
import { LocalSystem } from './local-system';

/** A PostgreSQL server you run (DATABASE_URL with rights to create roles and databases); services spawned by the suite. */
export class ExternalEnvironment implements Environment {
  readonly name = 'external';
  private system: LocalSystem | undefined;

  constructor(private readonly settings: SuiteSettings) {}

  async start(): Promise<Deployment> {
    const adminUrl = this.settings.env.DATABASE_URL;
    if (!adminUrl) throw new Error('TEST_ENV=external needs DATABASE_URL: a PostgreSQL URL with rights to create roles and databases');
    this.system = await LocalSystem.start(adminUrl, this.name, this.settings);
    return this.system.deployment;
  }

  async startDatabase(): Promise<DatabaseOnly> {
    const adminUrl = this.settings.env.DATABASE_URL;
    if (!adminUrl) throw new Error('TEST_ENV=external needs DATABASE_URL: a PostgreSQL URL with rights to create roles and databases');
    return { adminUrl };
  }

  async stop(): Promise<void> {
    await this.system?.stop();
    this.system = undefined;
  }
}
