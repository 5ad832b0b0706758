import { expect } from 'chai';
import { countByStatus, describeAnswer, describeOutcome, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import { describeEvidence } from '../targets/evidence';
import { required } from '../targets/not-offered';
import type { RefusalRules } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { Grant, PoolReading, ServiceTarget, WaitHistogram } from '../targets/service-target';
import type { TrackedOperation } from '../load/operations';
import type { BurstAnswers } from '../tasks/bursts';
import type { WaitsSince } from '../tasks/service-counts';
import { refusalKindOf } from './accounting';
import { expectRefusedAtOnceQueueFull, expectTimedOutAtPoolTimeout, formatOf, messageOf } from './backpressure';

/** The pool shows `active` connections in use and `waiting` requests in its queue (in one reading: one channel, one moment). */
export function expectQueue(reading: PoolReading, active: number, waiting: number): void {
  const waitingNow = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  // Both in one comparison: the state is transient, and the last failure must show all of it.
  expect({ active: reading.active, waiting: waitingNow }, `${reading.service} connections in use and requests waiting, in its ${describeEvidence(reading.evidence)}`).to.deep.equal({ active, waiting });
}

/** How much later than the promptest waiter any waiter may be refused: the machine's own spread, within these bounds. */
const TAIL_SPREAD_MS = { perPace: 5, least: 100, most: 400 } as const;

export interface TimeoutFigures {
  minMs: number;
  maxMs: number;
  /** Each waiter's lateness past the pool timeout (ms), in the order they were sent. */
  latenessMs: number[];
  /** How much later than the promptest one any may be, from the machine's pace. */
  allowedSpreadMs: number;
  paceMs: number;
}

/**
 * Each waiter was refused with backpressure at the pool timeout (expectTimedOutAtPoolTimeout), and
 * every one as promptly as the first: the plan's "timeout errors occur at expected intervals" holds
 * for the tail, not only the head. The promptest waiter's lateness is what this machine takes to
 * refuse one; any other may be later by at most the machine's own spread (`paceMs`, a fixed piece
 * of CPU work timed in the same run, times 5, between 100 and 400 ms) — far below a second, so a
 * pool whose expiry runs on a coarse timer (a later waiter refused up to a second late) is caught.
 */
export function expectAllTimedOutAtPoolTimeout(outcomes: Outcome[], rules: RefusalRules, settings: ScenarioSettings, tolerance: { earlyMs: number; lateMs: number }, paceMs: number): TimeoutFigures {
  for (const outcome of outcomes) expectTimedOutAtPoolTimeout(outcome, rules, settings, tolerance);
  const latenessMs = outcomes.map((o) => Math.round(o.ms - settings.poolTimeout.ms));
  const allowedSpreadMs = Math.round(Math.min(TAIL_SPREAD_MS.most, Math.max(TAIL_SPREAD_MS.least, TAIL_SPREAD_MS.perPace * paceMs)));
  const promptest = Math.min(...latenessMs);
  expect(Math.max(...latenessMs) - promptest, `how much later than the promptest waiter (${promptest} ms past the pool timeout) the last was refused, in ms; each waiter's lateness: ${latenessMs.join(', ')} (the machine's pace ${paceMs.toFixed(0)} ms allows ${allowedSpreadMs} ms)`).to.be.at.most(allowedSpreadMs);
  const times = outcomes.map((o) => o.ms);
  return { minMs: Math.min(...times), maxMs: Math.max(...times), latenessMs, allowedSpreadMs, paceMs };
}

/**
 * The pool's waiting count, as one channel of the service reported it over time, matched the
 * requests known to be waiting at each moment: at least those surely in the queue (sent `marginMs`
 * before, answered `marginMs` after), at most those possibly in it. The plateau at the full count
 * must have been seen, so the check cannot pass on an empty series, and the peak is exactly it.
 */
export function expectQueueLengthFollowed(series: ReadonlyArray<{ t: number; value: number }>, origin: number, channel: string, waiters: Outcome[], marginMs = 400): { samples: number; plateau: number; peak: number } {
  const mismatches: string[] = [];
  let plateau = 0;
  for (const sample of series) {
    const at = origin + sample.t;
    const surely = waiters.filter((w) => w.startedAt + marginMs <= at && w.finishedAt - marginMs >= at).length;
    const possibly = waiters.filter((w) => w.startedAt - marginMs <= at && at <= w.finishedAt + marginMs).length;
    if (surely === waiters.length) plateau++;
    if (sample.value < surely || sample.value > possibly) mismatches.push(`t=${sample.t} ms: waiting ${sample.value}, expected ${surely}..${possibly}`);
  }
  expect(mismatches, `waiting count in the ${channel} vs the requests waiting at that moment`).to.deep.equal([]);
  expect(plateau, `samples of the ${channel} taken while all ${waiters.length} requests surely waited`).to.be.at.least(3);
  const peak = Math.max(0, ...series.map((s) => s.value));
  expect(peak, `peak waiting count in the ${channel}`).to.equal(waiters.length);
  return { samples: series.length, plateau, peak };
}

/**
 * The queue was served first in, first out, also beyond the pool's capacity: the operations queued
 * one after another (`queued`, in the order they were sent, each holding its connection for
 * `hold` once served) while the connections freed up one at a time, so each was granted a
 * connection at its own moment and answered `hold` later. Their answers must come in the order they
 * were sent, each clearly after the one before (at least `gapMs`: a grant order the network cannot
 * blur), and each served before the pool timeout. Where the service records its grants itself
 * (abilities.grantOrder), its arrival and grant numbers must say the same.
 */
export function expectServedInArrivalOrder(queued: readonly Outcome[], hold: Duration, poolTimeout: Duration, gapMs: number, grantOf: ((o: Outcome) => Grant | undefined) | undefined): Array<{ sent: number; answeredAfterMs: number; waitedMs: number; grant?: Grant }> {
  const served = queued.map((outcome, index) => {
    expect(outcome.status, `queued operation ${index + 1}: ${describeAnswer(outcome)}`).to.be.within(200, 299);
    return { sent: index + 1, answeredAt: outcome.finishedAt, waitedMs: Math.round(outcome.ms - hold.ms), grant: grantOf?.(outcome) };
  });
  const first = served[0]!.answeredAt;
  const order = [...served].sort((a, b) => a.answeredAt - b.answeredAt).map((s) => s.sent);
  const described = served.map((s) => `#${s.sent} answered at +${Math.round(s.answeredAt - first)} ms`).join(', ');
  expect(order, `the queued operations by the moment they were answered (${described})`).to.deep.equal(served.map((s) => s.sent));
  for (const [index, s] of served.entries()) {
    if (index > 0) expect(s.answeredAt - served[index - 1]!.answeredAt, `ms between the answers of queued operations ${index} and ${index + 1} (${described})`).to.be.at.least(gapMs);
    expect(s.waitedMs, `wait of queued operation ${s.sent} for a connection (ms), against the ${poolTimeout} pool timeout`).to.be.below(poolTimeout.ms);
  }
  if (grantOf) {
    const grants = served.map((s) => s.grant);
    expect(grants.every((g) => g && typeof g.arrival === 'number' && typeof g.grant === 'number'), `every answer carries the pool's arrival and grant numbers: ${JSON.stringify(grants)}`).to.equal(true);
    const arrivals = grants.map((g) => g!.arrival);
    expect(arrivals, 'arrival numbers recorded by the pool, in the order the operations were sent').to.deep.equal([...arrivals].sort((a, b) => a - b));
    const byArrival = grants.map((g) => g!).sort((a, b) => a.arrival - b.arrival).map((g) => g.grant);
    expect(byArrival, 'grant numbers in arrival order').to.deep.equal([...byArrival].sort((a, b) => a - b));
  }
  return served.map(({ sent, answeredAt, waitedMs, grant }) => ({ sent, answeredAfterMs: Math.round(answeredAt - first), waitedMs, ...(grant ? { grant } : {}) }));
}

/** How a request was answered, as a kind: refused because the queue was full, at the pool timeout, or not refused (its status). */
export function answerKind(outcome: Outcome, target: Pick<ServiceTarget, 'refusals' | 'settings'>): string {
  return refusalKindOf(outcome, target.refusals, target.settings) ?? `not a refusal: ${outcome.status || 'no answer'}`;
}

/**
 * The answers were of the kinds expected (refused at once because the queue was full, at the pool
 * timeout, or another answer), and each refusal came with backpressure of its kind (the kind told
 * by the service's statuses where it uses one for each, by when the answer came where it uses
 * either). Returns the refusal times (ms) by kind.
 */
export function expectRefusalSplit(answers: readonly Outcome[], kinds: readonly string[], target: Pick<ServiceTarget, 'refusals' | 'settings'>, tolerance: { earlyMs: number; lateMs: number; atOnceMs: number }): Record<'queueFull' | 'timedOut', number[]> {
  expect(answers.map((o) => answerKind(o, target)).sort(), `the requests by how they were answered (${answers.map(describeAnswer).join('; ')})`).to.deep.equal([...kinds].sort());
  const times: Record<'queueFull' | 'timedOut', number[]> = { queueFull: [], timedOut: [] };
  for (const outcome of answers) {
    const kind = refusalKindOf(outcome, target.refusals, target.settings);
    if (kind === 'queueFull') expectRefusedAtOnceQueueFull(outcome, target.refusals, target.settings, tolerance.atOnceMs);
    else if (kind === 'timedOut') expectTimedOutAtPoolTimeout(outcome, target.refusals, target.settings, tolerance);
    if (kind === 'queueFull' || kind === 'timedOut') times[kind].push(Math.round(outcome.ms));
  }
  return times;
}

/** While unanswered, the request was counted as waiting by the pool: it really queued. */
export function expectWaitingWhileUnanswered({ reading, answered }: { reading: PoolReading; answered: boolean }): void {
  const waiting = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  expect(answered, 'the request was answered before the pool showed it waiting').to.equal(false);
  expect(waiting, `${reading.service} requests waiting`).to.be.at.least(1);
}

/**
 * It then succeeded once a connection freed up: not before the first holder gave its connection
 * back, and not more than `lateMs` after it (it was first in line for that connection).
 */
export function expectServedAfterFirstRelease(outcome: Outcome, holders: readonly Outcome[], lateMs: number): void {
  expect(outcome.status, describeAnswer(outcome)).to.be.within(200, 299);
  const firstRelease = Math.min(...holders.map((h) => h.finishedAt));
  // 250 ms: both answers cross the same loopback; their arrival order may swap by a few ms.
  expect(outcome.finishedAt - firstRelease, 'served after the first connection was given back (ms)').to.be.within(-250, lateMs);
}

/** As many requests were refused at the pool timeout as waited; otherwise the message says what they got. */
export function expectCountedTimeouts(all: readonly Outcome[], count: number, target: Pick<ServiceTarget, 'refusals' | 'settings'>): Outcome[] {
  const refused = all.filter((o) => refusalKindOf(o, target.refusals, target.settings) === 'timedOut');
  const others = all.filter((o) => !refused.includes(o) && !(o.status >= 200 && o.status < 300));
  const example = others[0] ?? all.find((o) => o.status >= 200 && o.status < 300);
  expect(refused.length, `requests refused at the pool timeout (answers by status: ${JSON.stringify(countByStatus(all))}${example ? `; e.g. ${describeAnswer(example)}` : ''})`).to.equal(count);
  return refused;
}

export function expectHoldersSucceeded(holders: readonly Outcome[], count: number, succeeded: (o: Outcome) => boolean): void {
  expect(holders.filter(succeeded).length, `holding operations that succeeded (${holders.map(describeOutcome).join('; ')})`).to.equal(count);
}

export function expectSucceededAgain(outcomes: readonly Outcome[], count: number, succeeded: (o: Outcome) => boolean): void {
  expect(outcomes.filter(succeeded).length, `requests that succeeded after the blocking operations ended (${outcomes.map(describeAnswer).join('; ')})`).to.equal(count);
}

/** Where the waits of rank `rank` (1-based, nearest rank) lie in a cumulative histogram: (lo, hi] in seconds. */
export function bucketOfRank(histogram: WaitHistogram, rank: number): { lo: number; hi: number } {
  let lo = 0;
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) return { lo, hi: le };
    lo = le;
  }
  throw new Error(`unexpected condition: rank ${rank} is past the histogram's count ${histogram.count}`);
}

export interface WaitFigures {
  waits: number;
  /** Waits in the bucket range around the pool timeout. */
  atTimeout: number;
  /** The mean wait of those that timed out, in seconds (from the histogram's sum). */
  meanTimedOutSeconds: { from: number; to: number };
  /** This scenario's percentiles, as the histogram's bucket ranges (seconds). */
  percentiles: Record<'p50' | 'p95' | 'p99', { lo: number; hi: number }>;
  /** The service's own JSON percentiles against its histogram, or why they could not be compared. */
  ownPercentiles: string;
}

/**
 * The service's own record of waiting in this scenario (its wait histogram, taken at the start and
 * now), with both bounds wherever the plan's behaviour gives them:
 * - one wait recorded per connection handed out and per timeout, nothing more or less;
 * - exactly `timedOut` waits in the buckets around the pool timeout (not earlier than it less
 *   `earlyMs`, not later than it plus `lateMs`), and none beyond;
 * - their mean, from the histogram's sum, within the same bounds;
 * - the scenario's p50, p95 and p99 in the buckets those waits put them;
 * - and the service's own percentiles (its JSON snapshot) in the buckets of its histogram, where
 *   both cover the same waits (the JSON keeps only the most recent ones).
 */
export function expectWaitTimes(recorded: WaitsSince, timedOut: number, poolTimeout: Duration, tolerance: { earlyMs: number; lateMs: number }): WaitFigures {
  const { waits, counted, service } = recorded;
  expect(waits.count, `${service} waits recorded in its histogram vs connections handed out (${counted.acquired}) and timeouts (${counted.timeouts})`).to.equal(counted.acquired + counted.timeouts);
  const earliest = (poolTimeout.ms - tolerance.earlyMs) / 1000;
  const latest = (poolTimeout.ms + tolerance.lateMs) / 1000;
  // The histogram's resolution: the bucket bounds just around [earliest, latest].
  const below = Math.max(0, ...waits.buckets.map((b) => b.le).filter((le) => le < earliest));
  const above = Math.min(...waits.buckets.map((b) => b.le).filter((le) => le >= latest));
  const cumulative = (le: number) => (le === 0 ? 0 : (waits.buckets.find((b) => b.le === le)?.count ?? 0));
  const atTimeout = cumulative(above) - cumulative(below);
  expect({ atTimeout, beyond: waits.count - cumulative(above) }, `${service} waits between ${below} and ${above} s (around the ${poolTimeout} pool timeout), and beyond`).to.deep.equal({ atTimeout: timedOut, beyond: 0 });
  // The others waited at most their bucket's bound: what the sum leaves for the timed-out ones.
  let shorter = 0;
  let counted0 = 0;
  for (const { le, count } of waits.buckets.filter((b) => b.le <= below)) {
    shorter += (count - counted0) * le;
    counted0 = count;
  }
  const meanTimedOutSeconds = { from: (waits.sum - shorter) / Math.max(1, timedOut), to: waits.sum / Math.max(1, timedOut) };
  if (timedOut > 0) {
    expect(meanTimedOutSeconds.from, `${service} mean wait of the ${timedOut} that timed out, at least (s)`).to.be.at.most(latest);
    expect(meanTimedOutSeconds.to, `${service} mean wait of the ${timedOut} that timed out, at most (s)`).to.be.at.least(earliest);
  }
  const served = waits.count - timedOut;
  const percentiles = Object.fromEntries(
    ([['p50', 50], ['p95', 95], ['p99', 99]] as const).map(([name, q]) => {
      const rank = Math.ceil((q / 100) * waits.count);
      const range = bucketOfRank(waits, rank);
      const expected = rank > served ? { from: earliest, to: latest } : { from: 0, to: below };
      expect(range.lo < expected.to && range.hi >= expected.from, `${service} ${name} of this scenario's waits in (${range.lo}, ${range.hi}] s, where ${rank > served ? 'a timed-out wait' : 'a wait that was served'} lies: [${expected.from}, ${expected.to}] s`).to.equal(true);
      return [name, range];
    }),
  ) as WaitFigures['percentiles'];
  return { waits: waits.count, atTimeout, meanTimedOutSeconds, percentiles, ownPercentiles: expectOwnPercentilesInHistogram(recorded) };
}

/** The service's JSON percentiles (nearest rank) each lie in the bucket of its histogram that holds that rank, when both cover the same waits. */
function expectOwnPercentilesInHistogram({ service, allTime, percentilesMs }: WaitsSince): string {
  if (!percentilesMs) return 'not given (the service reports no percentiles of its own)';
  if (percentilesMs.samples !== allTime.count) return `not compared: its percentiles cover its last ${percentilesMs.samples} waits, its histogram all ${allTime.count}`;
  const judged = ([['p50', 50], ['p95', 95], ['p99', 99], ['max', 100]] as const).map(([name, q]) => {
    const range = bucketOfRank(allTime, Math.max(1, Math.ceil((q / 100) * allTime.count)));
    const seconds = percentilesMs[name] / 1000;
    expect(seconds > range.lo && seconds <= range.hi, `${service} ${name} wait ${seconds} s (its JSON) in its histogram's bucket (${range.lo}, ${range.hi}] s`).to.equal(true);
    return `${name} ${seconds.toFixed(3)} s in (${range.lo}, ${range.hi}]`;
  });
  return `agree with its histogram over all ${allTime.count} waits: ${judged.join(', ')}`;
}

/**
 * What a client can tell of an answer, without what rightly changes from one burst to the next:
 * timings (judged on their own), and the pool's live figures a refusal may carry (the health word
 * remembers recent refusals by design; the waiting count a timed-out request saw depends on which
 * of two waits ending in the same millisecond went first). Status, Retry-After and the message stay.
 */
function answerSignature(outcome: Outcome, rules: RefusalRules): string {
  if (outcome.status >= 200 && outcome.status < 300) return JSON.stringify({ status: outcome.status });
  return JSON.stringify({ status: outcome.status, retryAfter: outcome.headers['retry-after'], format: formatOf(outcome), message: messageOf(outcome, rules) });
}

/**
 * The pool admits exactly as it did before: the same burst against the same saturated pool got the
 * same answers (as a set: which request came first is the network's choice), the holders the same
 * outcome, and the requests took the same places (connections in use, requests queued) in every
 * channel the service reports through.
 */
export function expectSameAnswers(service: string, first: BurstAnswers, again: BurstAnswers, rules: RefusalRules): void {
  const signatures = (outcomes: readonly Outcome[]) => outcomes.map((o) => answerSignature(o, rules)).sort();
  expect(signatures(again.requests), `${service} answers to the burst, again vs the first time`).to.deep.equal(signatures(first.requests));
  expect(signatures(again.holders), `${service} answers to the holding operations, again vs the first time`).to.deep.equal(signatures(first.holders));
  // The answers are judged above whatever the target reports; the places need its waiting count.
  const [firstPlaces, placesAgain] = [first.places, again.places].map((places) => required(places, 'the number of requests waiting for a connection', `${service} does not report it, so the places a burst took cannot be compared`));
  expect(placesAgain, `${service} connections in use and requests queued once the burst arrived, again vs the first time`).to.deep.equal(firstPlaces);
}
