import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import pg from 'pg';
import { EmbeddedDatabase } from '../../testkit/embedded-database';
import { provisionDatabases, serviceDatabaseUrl } from '../db/provision';
import { databaseConfigFromEnv, type DatabaseConfig } from '../pool';

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
      ...databaseConfigFromEnv({ DATABASE_URL: this.serviceUrl }),
      poolSize: 2,
      maxOverflow: 1,
      poolTimeoutSeconds: 5,
      maxQueue: 10,
      statementTimeoutSeconds: 30,
      leakThresholdSeconds: 30,
      ...overrides,
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** What a test file that needs real PostgreSQL shares: the database, a superuser client, its managers. */
export interface TestDatabaseFixture {
  readonly db: TestDatabase;
  /** A superuser connection, for looking at pg_stat_activity as an independent witness. */
  readonly audit: pg.Client;
  /** Registers a manager to close when the file's tests end. */
  track<T extends { close(): Promise<void> }>(manager: T): T;
}

/** Registers before/after hooks that start one embedded PostgreSQL for the file and stop it, with everything tracked. */
export function useTestDatabase(): TestDatabaseFixture {
  let db: TestDatabase | undefined;
  let audit: pg.Client | undefined;
  const tracked: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    db = await TestDatabase.start();
    audit = new pg.Client({ connectionString: db.adminUrl });
    await audit.connect();
  });
  after(async () => {
    await Promise.all(tracked.map((manager) => manager.close()));
    await audit?.end();
    await db?.stop();
  });
  return {
    get db() {
      if (!db) throw new Error('the test database is not started yet (use it inside a test)');
      return db;
    },
    get audit() {
      if (!audit) throw new Error('the audit client is not connected yet (use it inside a test)');
      return audit;
    },
    track(manager) {
      tracked.push(manager);
      return manager;
    },
  };
}
