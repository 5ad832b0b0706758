import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../common/settings';
import { applyLimitsChange, databaseConfigFromEnv } from './database-config';

const URL = 'postgresql://u:p@127.0.0.1:5432/db';

describe('DatabaseConfig from the environment', () => {
  it('takes the plan defaults: POOL_SIZE=20, MAX_OVERFLOW=30, POOL_TIMEOUT=30', () => {
    const config = databaseConfigFromEnv({ DATABASE_URL: URL });
    assert.equal(config.poolSize, 20);
    assert.equal(config.maxOverflow, 30);
    assert.equal(config.poolTimeoutSeconds, 30);
  });

  it('accepts decimal seconds for POOL_TIMEOUT', () => {
    assert.equal(databaseConfigFromEnv({ DATABASE_URL: URL, POOL_TIMEOUT: '2.5' }).poolTimeoutSeconds, 2.5);
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['POOL_SIZE', '-1', /POOL_SIZE="-1" is not allowed: expected an integer from 1 to 1000/],
    ['POOL_SIZE', '0', /POOL_SIZE="0" is not allowed/],
    ['POOL_SIZE', 'abc', /POOL_SIZE="abc" is not allowed/],
    ['POOL_SIZE', '2.5', /POOL_SIZE="2.5" is not allowed/],
    ['POOL_SIZE', '', /POOL_SIZE="" is not allowed/],
    ['MAX_OVERFLOW', '-1', /MAX_OVERFLOW="-1" is not allowed: expected an integer from 0 to 1000/],
    ['POOL_TIMEOUT', '0', /POOL_TIMEOUT="0" is not allowed: expected seconds above 0/],
    ['POOL_TIMEOUT', '-3', /POOL_TIMEOUT="-3" is not allowed/],
    ['POOL_MAX_QUEUE', '-1', /POOL_MAX_QUEUE="-1" is not allowed/],
    ['HEALTH_WARN_UTILIZATION', '1.5', /HEALTH_WARN_UTILIZATION="1.5" is not allowed/],
  ];
  for (const [name, value, message] of invalid) {
    it(`refuses ${name}=${JSON.stringify(value)} naming the variable, the value and what is allowed`, () => {
      assert.throws(() => databaseConfigFromEnv({ DATABASE_URL: URL, [name]: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.equal(error.message.includes('\n'), false, 'one line');
        return true;
      });
    });
  }

  it('refuses a missing DATABASE_URL without echoing secrets', () => {
    assert.throws(() => databaseConfigFromEnv({}), /DATABASE_URL="" is not allowed: expected a postgres/);
    assert.throws(() => databaseConfigFromEnv({ DATABASE_URL: 'mysql://secret' }), (e: unknown) => !(e as Error).message.includes('secret'));
  });
});

describe('run-time limits change (admin API)', () => {
  const current = { poolSize: 5, maxOverflow: 3, poolTimeoutSeconds: 30, maxQueue: 10 };

  it('applies a partial change and keeps the rest', () => {
    assert.deepEqual(applyLimitsChange(current, { poolSize: 2 }), { ...current, poolSize: 2 });
  });

  const invalid: Array<[unknown, RegExp]> = [
    [{ poolSize: 0 }, /poolSize=0 is not allowed/],
    [{ poolSize: '5' }, /poolSize="5" is not allowed/],
    [{ maxOverflow: -1 }, /maxOverflow=-1 is not allowed/],
    [{ poolTimeoutSeconds: 0 }, /poolTimeoutSeconds=0 is not allowed/],
    [{ maxQueue: -1 }, /maxQueue=-1 is not allowed/],
    [{ poolsize: 5 }, /poolsize=5 is not allowed: expected one of the fields/],
    [[1], /body=\[1\] is not allowed/],
    [null, /body=null is not allowed/],
  ];
  for (const [change, message] of invalid) {
    it(`refuses ${JSON.stringify(change)}`, () => {
      assert.throws(() => applyLimitsChange(current, change), message);
    });
  }
});
