import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from '../duration';
import { SettingsGate } from './settings-gate';
import { SETTING_VARIABLES, type Knobs, type SettingName } from './settings';

/** A restart service that takes its pool shape but has no leak detector to tune. */
const knobs: Knobs = {
  capacityOnly: false,
  of: Object.fromEntries((Object.keys(SETTING_VARIABLES) as SettingName[]).map((name) => [name, name.startsWith('leak') || name === 'traceCheckouts' ? { kind: 'lacking', what: 'no leak detector' } : { kind: 'settable' }])) as Knobs['of'],
};

function restartGate() {
  const restarts: string[] = [];
  const gate = new SettingsGate('python', { how: 'restart', startWith: { poolSize: 5, maxOverflow: 3, poolTimeout: '30 seconds', maxQueue: 10 }, lacking: {} }, knobs, {
    restart: async (settings) => void restarts.push(`${settings.poolSize}+${settings.maxOverflow}`),
    send: async () => assert.fail('a restart service gets no admin request'),
  });
  return { gate, restarts };
}

describe('the settings gate of a service the suite restarts', () => {
  it('restarts it before a scenario first uses it, and again only for settings it takes', async () => {
    const { gate, restarts } = restartGate();
    gate.begin();
    gate.change({ poolSize: 2, maxOverflow: 1 });
    await gate.apply();
    assert.deepEqual(restarts, ['2+1']);
    gate.change({ leakThreshold: Duration.ofSeconds(1) });
    await gate.apply();
    assert.deepEqual(restarts, ['2+1'], 'a leak threshold it lacks changes nothing it starts with: no restart');
    gate.change({ poolSize: 1 });
    await gate.apply();
    assert.deepEqual(restarts, ['2+1', '1+1']);
  });

  it('requests sent at once share one restart', async () => {
    const { gate, restarts } = restartGate();
    gate.begin();
    gate.change({ poolSize: 4 });
    await Promise.all([gate.apply(), gate.apply(), gate.apply()]);
    assert.deepEqual(restarts, ['4+3']);
  });
});
