import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** One service's slice of PostgreSQL: its own role, CONNECTION LIMIT and database. */
export interface ServiceDatabase {
  service: string;
  role: string;
  database: string;
  password: string;
  connectionLimit: number;
}

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** The URL a service connects with: its own role on its own database, on the admin URL's server. */
export function serviceDatabaseUrl(adminUrl: string, db: ServiceDatabase): string {
  const url = new URL(adminUrl);
  url.username = db.role;
  url.password = db.password;
  url.pathname = `/${db.database}`;
  return url.toString();
}

/** Connects, runs `work`, disconnects; a connection error rejects (callers and tests assert on it). */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>, applicationName = 'provisioning'): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates (or updates) each service's role and database, then applies its plain-SQL migrations
 * as that role. Idempotent, so an external server can be provisioned again.
 */
export async function provisionDatabases(adminUrl: string, databases: readonly ServiceDatabase[]): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    for (const db of databases) {
      const role = admin.escapeIdentifier(db.role);
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [db.role]);
      // Role options take no bind parameters; the password is escaped as a literal.
      const options = `LOGIN PASSWORD ${admin.escapeLiteral(db.password)} CONNECTION LIMIT ${Math.trunc(db.connectionLimit)}`;
      await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} ${options}`);
      const hasDatabase = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.database]);
      if (!hasDatabase.rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(db.database)} OWNER ${role}`);
      // Each role reaches only its own database.
      await admin.query(`REVOKE CONNECT ON DATABASE ${admin.escapeIdentifier(db.database)} FROM PUBLIC`);
    }
  });
  for (const db of databases) await migrate(serviceDatabaseUrl(adminUrl, db), db.service);
}

async function migrate(serviceUrl: string, service: string): Promise<void> {
  const dir = path.join(MIGRATIONS_DIR, service);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).sort();
  await withClient(serviceUrl, async (client) => {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of files) {
      const applied = await client.query('SELECT 1 FROM schema_migrations WHERE name = $1', [file]);
      if (applied.rowCount) continue;
      const sql = await readFile(path.join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${service}/${file} failed: ${(error as Error).message}`);
      }
    }
  });
}
