import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

describe('the list of checks not met, as cucumber reports it', () => {
  it('is formatted at once however long and quoted its lines are', () => {
    // A reading's JSON in a failure line once made cucumber's stack parser backtrack for minutes per
    // scenario. The parse blocks its thread, so it runs in a child process that a time limit can end.
    const formatting = `
      const { formatError } = require('@cucumber/cucumber/lib/runtime/format_error');
      const { readableFailure } = require('./support/lifecycle');
      const reading = JSON.stringify(Array.from({ length: 60 }, (_, t) => ({ t, active: 5, idle: 0, open: 5, 'json "snapshot"': true })));
      const lines = ['not met: the pool reported throughout\\n    the service did: ' + reading, 'leak audit: 1 connection left'];
      process.stdout.write(formatError(readableFailure(lines), true).message);`;
    const run = spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', '-e', formatting], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.signal, null, 'cucumber took more than 20 s to format the list (its stack parser backtracking)');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /2 checks not met or failed:\n- not met: the pool reported throughout/);
    assert.match(run.stdout, /- leak audit: 1 connection left/);
  });
});
