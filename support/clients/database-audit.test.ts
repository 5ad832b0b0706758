import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { EmbeddedDatabase } from '../../testkit/embedded-database';
import { eventually } from '../eventually';
import { DatabaseAudit } from './database-audit';

/*
 * Two parallel workers on one PostgreSQL server (TEST_ENV=external) both run a service whose
 * connections are named "backend", each in its own database: each worker's audit counts, and
 * ends, only its own.
 */
const server = new EmbeddedDatabase(40);
let adminUrl: string;
const clients: pg.Client[] = [];

function urlOf(database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function connectAs(applicationName: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlOf(database), application_name: applicationName });
  client.on('error', () => undefined); // terminated on purpose below
  await client.connect();
  clients.push(client);
  return client;
}

before(async () => {
  adminUrl = await server.start();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const database of ['w0_backend', 'w1_backend']) await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  await connectAs('backend', 'w0_backend');
  await connectAs('backend', 'w1_backend');
  await connectAs('backend', 'w1_backend');
});

after(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  await server.stop();
});

describe('the audit on a server shared by parallel workers', () => {
  it('counts only the connections in its own databases', async () => {
    const [w0, w1, everyone] = await Promise.all([DatabaseAudit.connect(adminUrl, ['w0_backend']), DatabaseAudit.connect(adminUrl, ['w1_backend']), DatabaseAudit.connect(adminUrl)]);
    try {
      assert.equal((await w0.connectionsOf('backend')).total, 1);
      assert.equal((await w1.connectionsOf('backend')).total, 2);
      assert.equal((await everyone.connectionsOf('backend')).total, 3, 'without a scope: every database');
    } finally {
      await Promise.all([w0.close(), w1.close(), everyone.close()]);
    }
  });

  it("ends only its own service's connections", async () => {
    const w0 = await DatabaseAudit.connect(adminUrl, ['w0_backend']);
    const everyone = await DatabaseAudit.connect(adminUrl);
    try {
      assert.equal(await w0.terminateConnectionsOf('backend'), 1);
      // pg_terminate_backend signals the backend; it leaves pg_stat_activity a moment later.
      await eventually(async () => assert.equal((await everyone.connectionsOf('backend')).total, 2, "the other worker's connections are still there"), { within: 2_000 });
    } finally {
      await Promise.all([w0.close(), everyone.close()]);
    }
  });
});
