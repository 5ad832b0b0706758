import type { SuiteSettings } from '../suite-settings';
import type { DatabaseOnly, Deployment, Environment } from './deployment';
import { EmbeddedDatabase } from '../../testkit/embedded-database';
import { LocalSystem } from './local-system';

/** The default: embedded PostgreSQL and services spawned by the suite; needs nothing but npm install. */
export class EmbeddedEnvironment implements Environment {
  readonly name = 'embedded';
  private readonly database: EmbeddedDatabase;
  private system: LocalSystem | undefined;

  constructor(private readonly settings: SuiteSettings) {
    this.database = new EmbeddedDatabase(settings.postgresMaxConnections);
  }

  async start(): Promise<Deployment> {
    try {
      const adminUrl = await this.database.start();
      this.system = await LocalSystem.start(adminUrl, this.name, this.settings);
      const database = this.database;
      return Object.assign(this.system.deployment, {
        databaseServer: {
          get running() {
            return database.running;
          },
          stop: () => database.shutDown(),
          start: () => database.startAgain(),
        },
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async startDatabase(): Promise<DatabaseOnly> {
    try {
      const adminUrl = await this.database.start();
      const database = this.database;
      return {
        adminUrl,
        databaseServer: {
          get running() {
            return database.running;
          },
          stop: () => database.shutDown(),
          start: () => database.startAgain(),
        },
      };
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.system?.stop();
    this.system = undefined;
    await this.database.stop();
  }
}
