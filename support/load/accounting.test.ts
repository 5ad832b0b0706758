import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusClass } from '../clients/outcome';
import { LoadAccounting } from './accounting';
import { LatencyHistogram } from './histogram';
import { sustainedWithSpikes } from './profiles';

const profile = sustainedWithSpikes({ capacity: 10, percent: 50, durationMs: 3_000, spikePercent: 100, spikeMs: 500, everyMs: 1_000, recoveryMs: 500, holdSeconds: 0.2 });

describe('load accounting', () => {
  it('classifies statuses: 429 and 503 are shed, anything else not 2xx (and no answer) is an error', () => {
    assert.deepEqual([200, 204, 429, 503, 500, 502, 404, 0].map(statusClass), ['2xx', '2xx', '429', '503', 'other', 'other', 'other', 'other']);
  });

  it('accounts every request by status, per second and per segment: sent = 2xx + 429 + 503 + other', () => {
    const accounting = new LoadAccounting(profile);
    const requests: Array<[number, number, number, string?]> = [
      [100, 10, 200],
      [1_100, 20, 503], // spike 1
      [1_200, 30, 429], // spike 1
      [1_300, 40, 0, 'ECONNRESET'], // spike 1
      [2_500, 50, 500],
      [3_001, 60, 200], // sent as the schedule ended: the last segment
    ];
    for (const [index, [sentAt]] of requests.entries()) accounting.sent(index + 1, sentAt);
    for (const [index, [sentAt, ms, status, error]] of requests.entries()) accounting.record(index + 1, sentAt, ms, status, error);
    const figures = accounting.figures();
    assert.deepEqual(figures.ledger, { sent: 6, answered: 6, unanswered: [], unmatched: [] });
    assert.deepEqual({ ...figures.totals, latencyMs: undefined }, { sent: 6, '2xx': 2, '429': 1, '503': 1, other: 2, errorRate: 2 / 6, shedRate: 2 / 6, latencyMs: undefined });
    const spike = figures.segments.find((s) => s.kind === 'spike' && s.fromMs === 1_000)!;
    assert.deepEqual([spike.sent, spike['429'], spike['503'], spike.other], [3, 1, 1, 1]);
    assert.equal(spike.errorRate, 1 / 3);
    assert.equal(figures.segments.at(-1)!['2xx'], 1);
    assert.deepEqual(figures.seconds.map((s) => [s.second, s.sent]), [[0, 1], [1, 3], [2, 1], [3, 1]]);
    assert.deepEqual(figures.others, [{ what: 'no answer (ECONNRESET)', count: 1 }, { what: 'HTTP 500', count: 1 }]);
  });

  it('matches answers with requests by id: one sent without an answer, one answered twice and one never sent show', () => {
    const accounting = new LoadAccounting(profile);
    for (const id of [1, 2, 3]) accounting.sent(id, 100 * id);
    accounting.record(1, 100, 5, 200);
    accounting.record(1, 100, 5, 200);
    accounting.record(7, 700, 5, 503);
    accounting.record(3, 300, 5, 429);
    const { ledger, totals } = accounting.figures();
    assert.deepEqual(ledger, { sent: 3, answered: 2, unanswered: [2], unmatched: ['request 1: answered 200, but it was answered already', 'request 7: answered 503, but it was never sent'] });
    // Sent counts what went out: the sum of the answers falls short of it by the unanswered one.
    assert.equal(totals.sent, 3);
    assert.equal(totals['2xx'] + totals['429'] + totals['503'] + totals.other, 2);
    assert.throws(() => accounting.sent(3, 400), /request 3 sent after request 3/);
  });

  it('measures achieved concurrency per segment, past its ramp-up', () => {
    const accounting = new LoadAccounting(profile);
    accounting.sampleConcurrency(10, 0); // ramp-up of the first segment: not counted
    for (let t = 300; t < 1_000; t += 100) accounting.sampleConcurrency(t, 5);
    for (let t = 1_200; t < 1_500; t += 100) accounting.sampleConcurrency(t, 8);
    const [first, spike] = accounting.figures().segments;
    assert.equal(first!.achievedConcurrency, 5);
    assert.equal(spike!.achievedConcurrency, 8);
    assert.equal(spike!.targetCallers, 10);
  });
});

describe('latency histogram', () => {
  it('gives p50/p95/p99 and max to three significant digits', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    const summary = histogram.summary();
    assert.equal(summary.count, 1000);
    assert.ok(Math.abs(summary.p50 - 500) <= 0.5, `p50 ${summary.p50}`);
    assert.ok(Math.abs(summary.p95 - 950) <= 1, `p95 ${summary.p95}`);
    assert.ok(Math.abs(summary.p99 - 990) <= 1, `p99 ${summary.p99}`);
    assert.ok(Math.abs(summary.max - 1000) <= 1, `max ${summary.max}`);
    assert.deepEqual(new LatencyHistogram().summary(), { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });
});
