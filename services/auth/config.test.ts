import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../common/settings';
import { authConfigFromEnv } from './config';

const BASE = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db', ADMIN_TOKEN: 'local-test-admin-token' };

describe('auth configuration', () => {
  it('reads its own pool settings and a default token lifetime', () => {
    const config = authConfigFromEnv({ ...BASE, POOL_SIZE: '4', MAX_OVERFLOW: '1' });
    assert.equal(config.database.poolSize, 4);
    assert.equal(config.database.maxOverflow, 1);
    assert.equal(config.tokenTtlSeconds, 900);
    assert.equal(authConfigFromEnv({ ...BASE, TOKEN_TTL: '60' }).tokenTtlSeconds, 60);
  });

  for (const bad of ['0', '9', '86401', '1.5', 'soon']) {
    it(`refuses TOKEN_TTL=${bad} by name`, () => {
      assert.throws(() => authConfigFromEnv({ ...BASE, TOKEN_TTL: bad }), (error: unknown) => error instanceof ConfigError && /^TOKEN_TTL=/.test(error.message));
    });
  }
});
