import { expect } from 'chai';
import type { Duration } from '../duration';
import type { LoadRun } from '../tasks/generate-load';

/** Closed-loop accuracy: the concurrency each phase achieved is within this share of its target. */
const CONCURRENCY_TOLERANCE = 0.1;

/**
 * Every request accounted for (sent = 2xx + 429 + 503 + other, the others listed) and the generator
 * kept the concurrency each phase aimed for.
 */
export function expectLoadAccurate(load: LoadRun): void {
  const { totals } = load;
  expect(totals.sent, 'requests sent').to.be.above(0);
  expect(totals['2xx'] + totals['429'] + totals['503'] + totals.other, `sent = 2xx + 429 + 503 + other; others: ${JSON.stringify(load.others)}`).to.equal(totals.sent);
  const perSecond = load.seconds.reduce((sum, s) => sum + s.sent, 0);
  expect(perSecond, 'requests in the per-second accounting').to.equal(totals.sent);
  for (const segment of load.segments) {
    const { achievedConcurrency: achieved, targetCallers: target } = segment;
    expect(Math.abs(achieved - target) / target, `${segment.name}: achieved concurrency ${achieved.toFixed(2)} vs target ${target}`).to.be.at.most(CONCURRENCY_TOLERANCE);
  }
}

/** Errors (answers other than 2xx/429/503, and no answer) below `percent` of everything sent. */
export function expectErrorRateBelow(load: LoadRun, percent: number): void {
  const { totals } = load;
  expect(totals.errorRate * 100, `error rate % (${totals.other} of ${totals.sent}; ${JSON.stringify(load.others)}); shed separately: ${totals['429']} × 429, ${totals['503']} × 503`).to.be.below(percent);
}

export function expectLatencyBelow(load: LoadRun, limit: Duration): void {
  const { latencyMs } = load.totals;
  expect(latencyMs.max, `slowest response (ms); p50 ${latencyMs.p50}, p95 ${latencyMs.p95}, p99 ${latencyMs.p99}`).to.be.below(limit.ms);
}
