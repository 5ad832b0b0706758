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
    const profile = sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 120_000, spikePercent: 120, spikeMs: 10_000, everyMs: 40_000, recoveryMs: 30_000, holdSeconds: 0.2 });
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
    const quick = sustainedWithSpikes({ capacity: 25, percent: 80, durationMs: 12_000, spikePercent: 120, spikeMs: 1_000, everyMs: 4_000, recoveryMs: 3_000, holdSeconds: 0.2 });
    assert.deepEqual(quick.segments.filter((s) => s.kind === 'spike').map((s) => [s.fromMs, s.toMs]), [[4_000, 5_000], [8_000, 9_000]]);
    assert.equal(quick.recoveryMs, 3_000);
    const spikes = { capacity: 25, percent: 80, spikePercent: 120, holdSeconds: 0.2 };
    assert.throws(() => sustainedWithSpikes({ ...spikes, durationMs: 10_000, spikeMs: 5_000, everyMs: 5_000, recoveryMs: 1_000 }), /spikes of 5 s every 5 s leave 0 s between one spike and the next, less than the 1 s allowed to recover/);
    assert.throws(() => sustainedWithSpikes({ ...spikes, durationMs: 10_000, spikeMs: 1_000, everyMs: 20_000, recoveryMs: 1_000 }), /no spike every 20 s starts within 10 s of load/);
    assert.throws(() => steadyLoad(25, 60, 0, 0.2), /load duration 0 ms is not allowed/);
    assert.throws(() => steadyLoad(25, 60, 1_000, 0), /a hold of 0 s per request is not allowed/);
  });

  it('refuses a spike whose time to recover does not fit before the next spike or the end, naming the numbers', () => {
    const plan = { capacity: 25, percent: 80, durationMs: 120_000, spikePercent: 120, spikeMs: 10_000, everyMs: 40_000, recoveryMs: 30_000, holdSeconds: 0.2 };
    // A 100 s load: the second spike (80 s to 90 s) ends 10 s before the load does.
    assert.throws(() => sustainedWithSpikes({ ...plan, durationMs: 100_000 }), /spike 2 \(80 s to 90 s\) leaves 10 s of the 100 s load after it, less than the 30 s allowed to recover/);
    // The spike that ends moments before the load does.
    assert.throws(() => sustainedWithSpikes({ ...plan, durationMs: 91_000 }), /spike 2 \(80 s to 90 s\) leaves 1 s of the 91 s load after it, less than the 30 s allowed to recover/);
    // More time to recover than the spikes leave between them.
    assert.throws(() => sustainedWithSpikes({ ...plan, recoveryMs: 31_000 }), /spikes of 10 s every 40 s leave 30 s between one spike and the next, less than the 31 s allowed to recover/);
    // Exactly fitting is fine: the last spike's recovery ends with the load.
    assert.equal(sustainedWithSpikes(plan).segments.at(-1)!.toMs - sustainedWithSpikes(plan).segments.at(-2)!.toMs, 30_000);
  });
});
