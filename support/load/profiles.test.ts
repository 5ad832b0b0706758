import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callersFor, durationOf, segmentAt, steadyLoad, sustainedWithSpikes } from './profiles';

describe('load profiles', () => {
  it('turns a share of pool capacity into callers', () => {
    assert.equal(callersFor(25, 80), 20);
    assert.equal(callersFor(25, 120), 30);
    assert.equal(callersFor(25, 60), 15);
    assert.throws(() => callersFor(25, 0), /0% of capacity 25 is not allowed/);
    assert.throws(() => callersFor(0, 50), /pool capacity 0 is not allowed/);
  });

  it("lays out the plan's schedule: 2 minutes at 80%, 10-second spikes to 120% every 40 seconds", () => {
    const profile = sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 120_000, spikePercent: 120, spikeMs: 10_000, everyMs: 40_000 });
    assert.deepEqual(
      profile.segments.map((s) => [s.kind, s.fromMs, s.toMs, s.callers]),
      [
        ['sustained', 0, 40_000, 20],
        ['spike', 40_000, 50_000, 30],
        ['sustained', 50_000, 80_000, 20],
        ['spike', 80_000, 90_000, 30],
        ['sustained', 90_000, 120_000, 20],
      ],
    );
    assert.equal(durationOf(profile), 120_000);
    assert.equal(segmentAt(profile, 45_000)?.name, 'spike 1 (120%)');
    assert.equal(segmentAt(profile, 120_000), undefined);
  });

  it('scales with the quick profile and refuses schedules that do not fit', () => {
    const quick = sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 12_000, spikePercent: 120, spikeMs: 1_000, everyMs: 4_000 });
    assert.deepEqual(quick.segments.filter((s) => s.kind === 'spike').map((s) => [s.fromMs, s.toMs]), [[4_000, 5_000], [8_000, 9_000]]);
    assert.throws(() => sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 10_000, spikePercent: 120, spikeMs: 5_000, everyMs: 5_000 }), /a spike must be shorter than the interval/);
    assert.throws(() => sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 10_000, spikePercent: 120, spikeMs: 1_000, everyMs: 20_000 }), /no spike .* fits/);
    assert.throws(() => steadyLoad(25, 60, 0), /load duration 0 ms is not allowed/);
  });
});
