import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { Outcome } from './outcome';
import type { DatabaseAudit } from './database-audit';

/**
 * The database side of a described target: its own role and database made for it (with a
 * CONNECTION LIMIT), its setup SQL run as that role, and the locks the suite takes to hold its
 * connections from the outside. Statements that cannot take bind parameters (role options) quote
 * identifiers and literals with node-postgres' own escaping.
 */

export interface TargetDatabase {
  role: string;
  password: string;
  connectionLimit: number;
}

/** A URL on the admin URL's server, as another user or on another database. */
export function databaseUrl(adminUrl: string, change: { user?: string; password?: string; database?: string }): string {
  const url = new URL(adminUrl);
  if (change.user !== undefined) url.username = change.user;
  if (change.password !== undefined) url.password = change.password;
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'suite:target-setup' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates (or updates) the role and its database (same name), then runs each setup file as the role, in order, with {{role}} and {{database}} filled in. */
export async function provisionTargetDatabase(adminUrl: string, db: TargetDatabase, setupFiles: readonly string[], placeholders: Readonly<Record<string, string>> = {}): Promise<string> {
  await withClient(adminUrl, async (admin) => {
    const role = admin.escapeIdentifier(db.role);
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [db.role]);
    const options = `LOGIN PASSWORD ${admin.escapeLiteral(db.password)} CONNECTION LIMIT ${Math.trunc(db.connectionLimit)}`;
    await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} ${options}`);
    const hasDatabase = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.role]);
    if (!hasDatabase.rowCount) await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);
    await admin.query(`REVOKE CONNECT ON DATABASE ${role} FROM PUBLIC`);
  });
  const url = databaseUrl(adminUrl, { user: db.role, password: db.password, database: db.role });
  for (const file of setupFiles) {
    let sql: string;
    try {
      sql = (await readFile(file, 'utf8')).replace(/\{\{(role|database)\}\}/g, (whole, name: string) => placeholders[name] ?? whole);
    } catch (error) {
      throw new Error(`setup SQL ${file} cannot be read: ${(error as Error).message}`);
    }
    await withClient(url, async (client) => {
      // Run once per database: a table the file creates already there means it ran.
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        if ((error as { code?: string }).code !== '42P07') throw new Error(`${file} failed as ${db.role}: ${(error as Error).message}`);
      }
    });
  }
  return url;
}

/**
 * A lock the suite holds from its own connection, inside a transaction: the described request must
 * wait for it while holding its pool connection. Released by ending the transaction.
 */
export class DatabaseLock {
  private constructor(private readonly client: pg.Client) {}

  static async take(url: string, statement: string): Promise<DatabaseLock> {
    const client = new pg.Client({ connectionString: url, application_name: 'suite:hold' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(statement);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new Error(`the hold's lock could not be taken (${statement}): ${(error as Error).message}`);
    }
    return new DatabaseLock(client);
  }

  async release(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

/** How long a request may take to start waiting on the hold's lock before the description is called wrong. */
const LOCK_WAIT_WITHIN_MS = 5_000;

/**
 * Proves, before the run, that the described request waits on the hold's lock while holding a pool
 * connection: the lock is taken, one request sent, and PostgreSQL must show one of the service's
 * connections waiting on a lock; then the lock is released and the request answered. A lock the
 * requests never wait on would let every "hold" pass without holding anything.
 */
export async function verifyLockHolds(url: string, statement: string, audit: DatabaseAudit, applicationName: string, send: () => Promise<Outcome>, field: string): Promise<void> {
  const lock = await DatabaseLock.take(url, statement);
  let request: Promise<Outcome> | undefined;
  try {
    const before = await audit.lockWaitersOf(applicationName);
    request = send();
    const deadline = Date.now() + LOCK_WAIT_WITHIN_MS;
    let waiting = before;
    while (waiting <= before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      waiting = await audit.lockWaitersOf(applicationName);
    }
    if (waiting <= before) {
      const answered = await Promise.race([request.then((o) => `it was answered ${o.status} without waiting`), new Promise<string>((resolve) => setTimeout(() => resolve('no connection named it waited'), 10))]);
      throw new Error(`${field}: the described request does not wait on "${statement}" (${answered}; database.applicationName ${applicationName}): the hold would hold nothing`);
    }
  } finally {
    await lock.release();
    await request;
  }
}
