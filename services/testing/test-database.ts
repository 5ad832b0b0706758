import { randomBytes } from 'node:crypto';
import { EmbeddedDatabase } from '../../support/environment/embedded-database';
import { provisionDatabases, serviceDatabaseUrl } from '../db/provision';
import type { DatabaseConfig } from '../pool';

/** A real PostgreSQL for integration tests: embedded, one per test file, with a service role. */
export class TestDatabase {
  private constructor(
    private readonly server: EmbeddedDatabase,
    readonly adminUrl: string,
    readonly serviceUrl: string,
  ) {}

  static async start(service = 'backend', connectionLimit = 40): Promise<TestDatabase> {
    const server = new EmbeddedDatabase(100);
    const adminUrl = await server.start();
    const db = { service, role: `test_${service}`, database: `test_${service}`, password: randomBytes(8).toString('hex'), connectionLimit };
    await provisionDatabases(adminUrl, [db]);
    return new TestDatabase(server, adminUrl, serviceDatabaseUrl(adminUrl, db));
  }

  config(overrides: Partial<DatabaseConfig> = {}): DatabaseConfig {
    return {
      databaseUrl: this.serviceUrl,
      poolSize: 2,
      maxOverflow: 1,
      poolTimeoutSeconds: 5,
      maxQueue: 10,
      statementTimeoutSeconds: 30,
      leakThresholdSeconds: 30,
      healthWarnUtilization: 0.8,
      healthTimeoutWindowSeconds: 10,
      healthCheckIntervalSeconds: 1,
      ...overrides,
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
