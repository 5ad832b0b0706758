import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type pg from 'pg';
import { useTestDatabase } from '../testing/test-database';
import { provisionDatabases, serviceDatabaseUrl, withClient, type ServiceDatabase } from './provision';

/*
 * Each service's role reaches only its own data: proved with real connection attempts under the
 * provisioned credentials, not only by reading the catalogue.
 */

const fixture = useTestDatabase();

const databases: ServiceDatabase[] = ['auth', 'backend'].map((service) => ({
  service,
  role: `isolation_${service}`,
  database: `isolation_${service}`,
  password: randomBytes(12).toString('hex'),
  connectionLimit: 5,
}));
const [authDb, backendDb] = databases as [ServiceDatabase, ServiceDatabase];

/** The URL of `role`'s credentials pointed at another database. */
function urlAs(role: ServiceDatabase, database: string): string {
  const url = new URL(serviceDatabaseUrl(fixture.db.adminUrl, role));
  url.pathname = `/${database}`;
  return url.toString();
}

/** Connects as the URL's role, runs `work`, disconnects; the connection error (if any) is what the caller asserts on. */
function asRole<T>(url: string, work: (client: pg.Client) => Promise<T> = async () => undefined as T): Promise<T> {
  return withClient(url, work, 'isolation-test');
}

describe('provisioned roles: each service reaches only its own data', () => {
  before(async () => {
    await provisionDatabases(fixture.db.adminUrl, databases);
  });

  it('lets each role into its own database, where it can read its tables', async () => {
    const users = await asRole(serviceDatabaseUrl(fixture.db.adminUrl, authDb), (c) => c.query('SELECT count(*)::int AS n FROM users'));
    assert.ok(users.rows[0].n >= 1);
    const who = await asRole(serviceDatabaseUrl(fixture.db.adminUrl, backendDb), (c) => c.query('SELECT current_user AS role, current_database() AS db'));
    assert.deepEqual(who.rows[0], { role: backendDb.role, db: backendDb.database });
  });

  it("refuses the backend's role at the auth database, and the auth role at the backend's", async () => {
    await assert.rejects(asRole(urlAs(backendDb, authDb.database)), { code: '42501', message: `permission denied for database "${authDb.database}"` });
    await assert.rejects(asRole(urlAs(authDb, backendDb.database)), { code: '42501', message: `permission denied for database "${backendDb.database}"` });
  });

  it('refuses a role with the wrong password', async () => {
    const url = new URL(serviceDatabaseUrl(fixture.db.adminUrl, backendDb));
    url.password = 'not-the-password';
    await assert.rejects(asRole(url.toString()), { code: '28P01', message: `password authentication failed for user "${backendDb.role}"` });
  });

  it('lets no service role create databases or roles, or act as superuser', async () => {
    for (const db of databases) {
      await asRole(serviceDatabaseUrl(fixture.db.adminUrl, db), async (client) => {
        await assert.rejects(client.query('CREATE DATABASE isolation_intruder'), { code: '42501', message: 'permission denied to create database' });
        await assert.rejects(client.query('CREATE ROLE isolation_intruder'), { code: '42501', message: /^permission denied to create role/ });
        await assert.rejects(client.query('ALTER ROLE CURRENT_USER CONNECTION LIMIT -1'), { code: '42501' });
        const { rows } = await client.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = current_user');
        assert.deepEqual(rows[0], { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolbypassrls: false, rolreplication: false });
      });
    }
  });

  it('gives PUBLIC no CONNECT: a fresh login role with no grants is refused at both databases', async () => {
    const stranger: ServiceDatabase = { service: 'stranger', role: 'isolation_stranger', database: 'postgres', password: randomBytes(12).toString('hex'), connectionLimit: 1 };
    const { audit } = fixture;
    await audit.query(`CREATE ROLE ${audit.escapeIdentifier(stranger.role)} LOGIN PASSWORD ${audit.escapeLiteral(stranger.password)}`);
    for (const db of databases) {
      await assert.rejects(asRole(urlAs(stranger, db.database)), { code: '42501', message: `permission denied for database "${db.database}"` });
    }
    // The catalogue agrees: no ACL entry for PUBLIC (grantee 0) on either database (a NULL ACL means the default, which grants it).
    const { rows } = await audit.query(
      `SELECT d.datname FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
        WHERE d.datname = ANY($1) AND a.grantee = 0 AND a.privilege_type = 'CONNECT'`,
      [databases.map((db) => db.database)],
    );
    assert.deepEqual(rows, []);
  });
});
