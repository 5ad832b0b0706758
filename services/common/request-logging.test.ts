import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactCredentials } from './request-logging';

describe('request URLs as logged', () => {
  it('blanks the value of credential parameters and keeps everything else as it came', () => {
    assert.equal(redactCredentials('/ws?token=eyJ.abc.def'), '/ws?token=[redacted]');
    assert.equal(redactCredentials('/api/work/hold?seconds=5&token=x&b=%20'), '/api/work/hold?seconds=5&token=[redacted]&b=%20');
    assert.equal(redactCredentials('/x?Access_Token=a&password=b&admin_token=c'), '/x?Access_Token=[redacted]&password=[redacted]&admin_token=[redacted]');
  });

  it('sees through an escaped parameter name, and leaves URLs without credentials alone', () => {
    assert.equal(redactCredentials('/ws?%74oken=secret'), '/ws?%74oken=[redacted]');
    assert.equal(redactCredentials('/ws?token'), '/ws?token=[redacted]');
    assert.equal(redactCredentials('/ws?%E0%A4%A=1&tokens=2'), '/ws?%E0%A4%A=1&tokens=2');
    assert.equal(redactCredentials('/api/work/fast'), '/api/work/fast');
  });
});
