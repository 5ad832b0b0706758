import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', 'services/backend/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db', ADMIN_TOKEN: 'local-test-admin-token', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('backend start-up with an invalid configuration', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ POOL_SIZE: '-1' }, /^backend: invalid configuration: POOL_SIZE="-1" is not allowed: expected an integer from 1 to 1000$/],
    [{ MAX_OVERFLOW: 'abc' }, /^backend: invalid configuration: MAX_OVERFLOW="abc" is not allowed/],
    [{ POOL_TIMEOUT: '0' }, /^backend: invalid configuration: POOL_TIMEOUT="0" is not allowed/],
    [{ POOL_MAX_QUEUE: '-5' }, /^backend: invalid configuration: POOL_MAX_QUEUE="-5" is not allowed/],
    [{ FAULT_INJECTION: 'yes' }, /^backend: invalid configuration: FAULT_INJECTION="yes" is not allowed: expected "on" or "off"$/],
    [{ ADMIN_TOKEN: 'short' }, /^backend: invalid configuration: ADMIN_TOKEN="<redacted>" is not allowed/],
  ];
  for (const [env, line] of cases) {
    it(`stops with one line and exit code 2 for ${JSON.stringify(env)}`, () => {
      const result = start(env);
      assert.equal(result.status, 2);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
      assert.match(lines[0] ?? '', line);
    });
  }
});
