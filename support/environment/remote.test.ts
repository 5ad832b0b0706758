/**
 * TEST_ENV=remote: its settings, and where it says the system is. (The whole suite pointed at a
 * separately started `npm run stack` is remote-run.slow.test.ts, in `npm run test:slow`.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSuiteSettings } from '../suite-settings';
import { RemoteEnvironment, remoteTargetFromEnv } from './remote';

describe('TEST_ENV=remote settings', () => {
  it('names every missing variable in one error', () => {
    assert.throws(() => remoteTargetFromEnv({ AUTH_URL: 'http://127.0.0.1:2' }), {
      message: /^TEST_ENV=remote: missing BACKEND_URL, ADMIN_TOKEN\. It needs BACKEND_URL, AUTH_URL and ADMIN_TOKEN/,
    });
  });

  it('refuses a URL that is not one, and a database URL that is not PostgreSQL', () => {
    assert.throws(
      () => remoteTargetFromEnv({ BACKEND_URL: 'localhost:3000', AUTH_URL: 'http://a', ADMIN_TOKEN: 'x'.repeat(16), DATABASE_URL: 'mysql://x' }),
      { message: /BACKEND_URL="localhost:3000" is not an http\(s\) URL; DATABASE_URL is not a postgres:\/\/ or postgresql:\/\/ URL/ },
    );
  });

  it('takes the database URL as optional', () => {
    const target = remoteTargetFromEnv({ BACKEND_URL: 'http://127.0.0.1:1/', AUTH_URL: 'http://127.0.0.1:2', ADMIN_TOKEN: 't'.repeat(16) });
    assert.deepEqual(target, { backendUrl: 'http://127.0.0.1:1', authUrl: 'http://127.0.0.1:2', adminToken: 't'.repeat(16), auditDatabaseUrl: undefined });
  });

  it('says the services already run there, with the admin secret they were given, and starts nothing', async () => {
    const env = { TEST_ENV: 'remote', BACKEND_URL: 'http://127.0.0.1:1', AUTH_URL: 'http://127.0.0.1:2/', ADMIN_TOKEN: 't'.repeat(16) };
    const platform = await new RemoteEnvironment(loadSuiteSettings(env)).start();
    assert.deepEqual(platform.running, { backend: 'http://127.0.0.1:1', auth: 'http://127.0.0.1:2' });
    assert.deepEqual(platform.secrets, { admin: 't'.repeat(16) });
    assert.equal(platform.adminUrl, undefined);
    assert.equal(platform.databaseServer, undefined);
  });
});

