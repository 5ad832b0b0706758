import type { SuiteSettings } from '../suite-settings';
import type { Environment, Platform } from './deployment';
import { EmbeddedDatabase } from '../../testkit/embedded-database';

/** The default: embedded PostgreSQL in a temp dir, started and removed by the suite; needs nothing but npm install. */
export class EmbeddedEnvironment implements Environment {
  readonly name = 'embedded';
  private readonly database: EmbeddedDatabase;

  constructor(private readonly settings: SuiteSettings) {
    this.database = new EmbeddedDatabase(settings.postgresMaxConnections);
  }

  async start(): Promise<Platform> {
    try {
      const adminUrl = await this.database.start();
      const database = this.database;
      return {
        environment: this.name,
        adminUrl,
        running: {},
        secrets: {},
        dbPrefix: this.settings.dbPrefix,
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
    await this.database.stop();
  }
}
