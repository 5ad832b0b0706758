import { expect } from 'chai';
import type { Duration } from '../duration';
import { describeEvidence } from '../targets/evidence';
import { NotOffered } from '../targets/not-offered';
import type { LoadRun } from '../tasks/generate-load';

/** Closed-loop accuracy: the concurrency each phase achieved is within this share of its target. */
const CONCURRENCY_TOLERANCE = 0.1;

/**
 * Every request the generator sent got exactly one answer (a no-answer counts as one, as an error),
 * matched by the id it was sent with: sent = 2xx + 429 + 503 + other, in total, per second and per
 * phase; and the generator kept the concurrency each phase aimed for.
 */
export function expectLoadAccurate(load: LoadRun): void {
  const { totals, ledger } = load;
  expect(totals.sent, 'requests sent').to.be.above(0);
  expect({ unanswered: ledger.unanswered, unmatched: ledger.unmatched }, `${ledger.sent} requests sent vs ${ledger.answered} answers, matched by id`).to.deep.equal({ unanswered: [], unmatched: [] });
  expect(ledger.sent, 'requests the ledger saw sent vs the accounting').to.equal(totals.sent);
  expect(totals['2xx'] + totals['429'] + totals['503'] + totals.other, `sent = 2xx + 429 + 503 + other; others: ${JSON.stringify(load.others)}`).to.equal(totals.sent);
  for (const [what, buckets] of [['second', load.seconds], ['phase', load.segments]] as const) {
    const unbalanced = buckets.filter((b) => b['2xx'] + b['429'] + b['503'] + b.other !== b.sent).map((b) => ('second' in b ? `second ${b.second}` : b.name));
    expect(unbalanced, `per ${what}: sent = 2xx + 429 + 503 + other`).to.deep.equal([]);
    expect(buckets.reduce((sum, b) => sum + b.sent, 0), `requests in the per-${what} accounting`).to.equal(totals.sent);
  }
  for (const segment of load.segments) {
    const { achievedConcurrency: achieved, targetCallers: target } = segment;
    expect(Math.abs(achieved - target) / target, `${segment.name}: achieved concurrency ${achieved.toFixed(2)} vs target ${target}`).to.be.at.most(CONCURRENCY_TOLERANCE);
  }
}

/**
 * The service's own counts over the load (read just before and just after it) agree with what the
 * generator got: each 429 refused by its pool at once, each 503 timed out in its queue, and one
 * connection handed out per success — or per error too, since an error may have had one (a no-answer,
 * a failure inside the database) or not (refused before the pool). NotOffered when the service does
 * not report these counts. Returns what it counted.
 */
export function expectLoadCountedByService(load: LoadRun): { acquired: number; rejected: number; timeouts: number } {
  const delta = (key: 'acquired' | 'rejected' | 'timeouts') => (load.after[key] === undefined || load.before[key] === undefined ? undefined : load.after[key]! - load.before[key]!);
  const [acquired, rejected, timeouts] = [delta('acquired'), delta('rejected'), delta('timeouts')];
  if (acquired === undefined || rejected === undefined || timeouts === undefined) {
    throw new NotOffered(`the ${load.service} pool's own counts of connections handed out, refused and timed out`, `it does not report them (its pool is read from ${describeEvidence(load.after.evidence)})`);
  }
  const { totals } = load;
  expect({ rejected, timeouts }, `${load.service}'s own counts of refusals at once and timeouts during the load vs the ${totals['429']} × 429 and ${totals['503']} × 503 it answered`).to.deep.equal({ rejected: totals['429'], timeouts: totals['503'] });
  expect(acquired, `${load.service}'s own count of connections handed out during the load vs ${totals['2xx']} successes and ${totals.other} errors`).to.be.within(totals['2xx'], totals['2xx'] + totals.other);
  return { acquired, rejected, timeouts };
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
