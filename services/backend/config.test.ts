import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendConfigFromEnv } from './config';

/*
 * Fault injection is off unless asked for: the deliberately buggy endpoints exist only with
 * FAULT_INJECTION=on (fault-routes.test.ts checks the 404 when the switch is off); here, that an
 * environment which says nothing about it, or anything but "on", never turns it on.
 */

const MINIMAL_ENV = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db', ADMIN_TOKEN: 'local-test-admin-token' }; // local test defaults

describe('fault injection is off unless asked for', () => {
  it('is off when FAULT_INJECTION is not set, and when it is "off"', () => {
    assert.equal(backendConfigFromEnv(MINIMAL_ENV).faultInjection, false);
    assert.equal(backendConfigFromEnv({ ...MINIMAL_ENV, FAULT_INJECTION: 'off' }).faultInjection, false);
  });

  it('is on only for exactly "on"; other values are refused by name rather than read as yes', () => {
    assert.equal(backendConfigFromEnv({ ...MINIMAL_ENV, FAULT_INJECTION: 'on' }).faultInjection, true);
    for (const value of ['1', 'true', 'yes', 'ON', '']) {
      assert.throws(() => backendConfigFromEnv({ ...MINIMAL_ENV, FAULT_INJECTION: value }), /FAULT_INJECTION=".*" is not allowed: expected "on" or "off"/);
    }
  });
});
