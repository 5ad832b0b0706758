import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utilizationOf } from './connection-pool-metrics';
import { HealthTracker, assessHealth, loadLevel, type HealthInputs } from './health';

const thresholds = { warnUtilization: 0.8, timeoutWindowSeconds: 10 };
const reachable = { reachable: true, latencyMs: 1, error: undefined, at: '' };

function inputs(active: number, waiting: number, extra: Partial<HealthInputs> = {}): HealthInputs {
  return {
    counts: { active, idle: 0, total: active, waiting, poolSize: 5, capacity: 8, utilization: utilizationOf(active, 8) },
    pressureEventsInWindow: 0,
    leaksHeld: 0,
    probe: reachable,
    ...extra,
  };
}

describe('health rules', () => {
  it('is healthy with spare capacity', () => assert.equal(assessHealth(inputs(2, 0), thresholds).status, 'healthy'));
  it('warns at the utilization threshold', () => assert.equal(assessHealth(inputs(7, 0), thresholds).status, 'warning'));
  it('warns at 100% with nobody waiting', () => assert.equal(assessHealth(inputs(8, 0), thresholds).status, 'warning'));
  it('is critical when saturated with requests waiting', () => {
    const health = assessHealth(inputs(8, 1), thresholds);
    assert.equal(health.status, 'critical');
    assert.match(health.reasons[0] ?? '', /pool saturated: 8\/8 in use, 1 waiting/);
  });
  it('warns after recent timeouts', () => assert.equal(assessHealth(inputs(0, 0, { pressureEventsInWindow: 2 }), thresholds).status, 'warning'));
  it('is critical when the database is unreachable', () => {
    const health = assessHealth(inputs(0, 0, { probe: { reachable: false, latencyMs: undefined, error: 'ECONNREFUSED', at: '' } }), thresholds);
    assert.equal(health.status, 'critical');
    assert.match(health.reasons[0] ?? '', /database unreachable: ECONNREFUSED/);
  });
});

describe('utilization and load level', () => {
  it('is active / capacity, and a pool without capacity counts as full', () => {
    assert.equal(utilizationOf(3, 4), 0.75);
    assert.equal(utilizationOf(0, 4), 0);
    assert.equal(utilizationOf(0, 0), 1);
  });
  it('says what the rules say about load alone', () => {
    for (const [active, waiting] of [[2, 0], [7, 0], [8, 0], [8, 1], [5, 2]] as const) {
      const status = assessHealth(inputs(active, waiting), thresholds).status;
      assert.equal(['healthy', 'warning', 'critical'][loadLevel(active, 8, waiting, thresholds.warnUtilization)], status, `${active} active, ${waiting} waiting`);
    }
  });
});

describe('health transitions', () => {
  it('records each change with its reasons, not repeats', () => {
    const tracker = new HealthTracker();
    tracker.update({ status: 'critical', reasons: ['x'] });
    tracker.update({ status: 'critical', reasons: ['x'] });
    tracker.update({ status: 'healthy', reasons: [] });
    const { transitions } = tracker.report(reachable);
    assert.deepEqual(transitions.map((t) => `${t.from}->${t.to}`), ['healthy->critical', 'critical->healthy']);
    assert.deepEqual(transitions[0]?.reasons, ['x']);
  });
  it('keeps a bounded history', () => {
    const tracker = new HealthTracker();
    for (let i = 0; i < 120; i++) tracker.update({ status: i % 2 ? 'healthy' : 'warning', reasons: [] });
    assert.equal(tracker.report(reachable).transitions.length, 50);
  });
});
