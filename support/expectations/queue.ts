import { expect } from 'chai';
import type { Problem } from '../clients/contract';
import { classify, countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import type { LedgerEntry, Operations, TrackedOperation } from '../load/operations';
import { describeEvidence } from '../monitoring/pool-timeline';
import { required } from '../targets/not-offered';
import type { PoolReading, WaitHistogram } from '../targets/service-target';
import type { QueuePlaces } from '../tasks/bursts';
import type { AdmissionCounts, WaitsSince } from '../tasks/service-counts';
import { expectBackpressure, expectRefusedAtOnceQueueFull, expectTimedOutAtPoolTimeout } from './backpressure';

/** The pool shows `active` connections in use and `waiting` requests in its queue (in one reading: one channel, one moment). */
export function expectQueue(reading: PoolReading, active: number, waiting: number): void {
  const waitingNow = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  // Both in one comparison: the state is transient, and the last failure must show all of it.
  expect({ active: reading.active, waiting: waitingNow }, `${reading.service} connections in use and requests waiting, in its ${describeEvidence(reading.evidence)}`).to.deep.equal({ active, waiting });
}

/** Each request timed out with a 503 at the pool timeout (expectTimedOutAtPoolTimeout). Returns the measured range. */
export function expectAllTimedOutAtPoolTimeout(outcomes: Outcome[], poolTimeout: Duration, tolerance: { earlyMs: number; lateMs: number }): { minMs: number; maxMs: number } {
  for (const outcome of outcomes) expectTimedOutAtPoolTimeout(outcome, poolTimeout, tolerance);
  const times = outcomes.map((o) => o.ms);
  return { minMs: Math.min(...times), maxMs: Math.max(...times) };
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

interface Grant {
  arrival: number;
  grant: number;
  waitedMs: number;
}

/**
 * The service granted connections in arrival order, by its own record: each answer carries the
 * pool's arrival number and grant number. `outcomes` are in the order they were sent.
 */
export function expectGrantsInArrivalOrder(outcomes: Outcome[], poolTimeout: Duration): Grant[] {
  const grants = outcomes.map((outcome) => {
    expect(outcome.status, describeOutcome(outcome)).to.equal(200);
    const checkout = (outcome.body as { checkout?: Grant }).checkout;
    expect(checkout, 'the answer carries the pool checkout record').to.include.keys('arrival', 'grant', 'waitedMs');
    return checkout!;
  });
  const arrivals = grants.map((g) => g.arrival);
  expect(arrivals, 'arrival numbers recorded by the pool, in the order the requests were sent').to.deep.equal([...arrivals].sort((a, b) => a - b));
  const byArrival = [...grants].sort((a, b) => a.arrival - b.arrival);
  const grantOrder = byArrival.map((g) => g.grant);
  expect(grantOrder, `grant numbers in arrival order (${byArrival.map((g) => `arrival ${g.arrival} -> grant ${g.grant}`).join(', ')})`).to.deep.equal(
    [...grantOrder].sort((a, b) => a - b),
  );
  for (const g of grants) {
    // They really queued (served by a hand-over, not at once), and within the pool timeout.
    expect(g.waitedMs, `wait of arrival ${g.arrival} (ms)`).to.be.within(500, poolTimeout.ms);
  }
  return grants;
}

/**
 * Every request the scenario sent got exactly one answer (a recorded no-answer counts as one: it
 * then shows as unexplained), matched by the id it was sent with: none missing, none answered twice,
 * no answer for a request never sent, none that threw instead of answering.
 */
export function expectEveryRequestAnswered(sent: readonly TrackedOperation[], ledger: readonly LedgerEntry[]): void {
  const answersById = new Map<number, LedgerEntry[]>();
  for (const entry of ledger) answersById.set(entry.id, [...(answersById.get(entry.id) ?? []), entry]);
  const problems: string[] = [];
  for (const op of sent) {
    const answers = answersById.get(op.id) ?? [];
    answersById.delete(op.id);
    if (answers.length === 0) problems.push(`#${op.id} ${op.label}: sent, but neither an answer nor a no-answer was recorded`);
    else if (answers.length > 1) problems.push(`#${op.id} ${op.label}: ${answers.length} answers recorded`);
    for (const answer of answers) if (answer.threw !== undefined) problems.push(`#${op.id} ${op.label}: threw instead of answering: ${answer.threw}`);
  }
  for (const [id] of answersById) problems.push(`#${id}: an answer was recorded for a request that was never sent`);
  expect(problems, `${sent.length} requests sent vs ${ledger.length} answers recorded, matched by id`).to.deep.equal([]);
}

/** The scenario's answers by class (2xx, 429, 503), with none unexplained (no other status, no request without an answer). */
export function expectAnswerSplit(sent: readonly TrackedOperation[], expected?: { succeeded: number; queueFull: number; timedOut: number }): ClassSplit {
  const split = classSplit(sent);
  expect(split.unexplained, 'answers other than 2xx, 429 and 503 (no answer included)').to.deep.equal([]);
  if (expected) {
    expect({ succeeded: split['2xx'], queueFull: split['429'], timedOut: split['503'] }, 'requests by outcome').to.deep.equal(expected);
  }
  return split;
}

export interface ClassSplit {
  '2xx': number;
  '429': number;
  '503': number;
  unexplained: string[];
}

function classSplit(operations: readonly TrackedOperation[]): ClassSplit {
  const split: ClassSplit = { '2xx': 0, '429': 0, '503': 0, unexplained: [] };
  for (const op of operations) {
    const outcome = op.outcome!;
    const kind = classify(outcome);
    if (kind === 'other') split.unexplained.push(`#${op.id} ${op.label}: ${describeOutcome(outcome)}`);
    else split[kind]++;
  }
  return split;
}

/**
 * The service's own counts agree with the answers its requests got: each success was handed a
 * connection, each 429 was refused by its pool at once, each 503 timed out in its queue — nothing
 * more (a request the scenario did not send, one served twice) and nothing less (a refusal the pool
 * did not count). `operations` are the scenario's requests to this service, all answered.
 */
export function expectServiceCounted(service: string, operations: readonly TrackedOperation[], counted: AdmissionCounts): void {
  const split = classSplit(operations);
  expect(
    { acquired: counted.acquired, rejected: counted.rejected, timeouts: counted.timeouts },
    `${service}'s own counts since the scenario set its pool (connections handed out, refused at once, timed out) vs its ${operations.length} answers`,
  ).to.deep.equal({ acquired: split['2xx'], rejected: split['429'], timeouts: split['503'] });
}

/** The requests of the scenario per service they were sent to; one that names no service is a defect of the suite. */
export function operationsByService(operations: readonly TrackedOperation[]): Map<string, TrackedOperation[]> {
  const unnamed = operations.filter((op) => op.service === undefined).map((op) => `#${op.id} ${op.label}`);
  if (unnamed.length > 0) throw new Error(`unexpected condition: requests sent without naming their service cannot be matched with its counts: ${unnamed.join(', ')}`);
  const byService = new Map<string, TrackedOperation[]>();
  for (const op of operations) byService.set(op.service!, [...(byService.get(op.service!) ?? []), op]);
  return byService;
}

/** The answers of every request of the scenario that got `status`, after all have been answered. */
export async function answersWith(operations: Operations, status: number): Promise<Outcome[]> {
  return (await operations.settled()).filter((outcome) => outcome.status === status);
}

/** Every refusal of the scenario is backpressure in one format: the same fields, types and media type. */
export async function expectOneProblemFormat(operations: Operations): Promise<void> {
  const refusals = (await operations.settled()).filter((o) => o.status === 429 || o.status === 503);
  expect(refusals.length, 'refusals to compare').to.be.at.least(2);
  const shapes = new Set(refusals.map((o) => JSON.stringify([o.headers['content-type'], Object.keys(expectBackpressure(o, o.status as 429 | 503)).sort()])));
  expect([...shapes], 'content type and problem fields of every refusal').to.have.length(1);
}

/**
 * `queueFull` refused at once with 429 and `timedOut` with 503 at the pool timeout, each with the
 * problem type, detail and Retry-After of its kind. Returns the refusal times (ms) by status.
 */
export function expectRefusalSplit(answers: Outcome[], queueFull: number, timedOut: number, shape: { maxQueue: number; poolTimeout: Duration }, tolerance: { earlyMs: number; lateMs: number; atOnceMs: number }): Record<'429' | '503', number[]> {
  expect(answers.map((o) => o.status).sort(), 'statuses of the requests').to.deep.equal([...Array(queueFull).fill(429), ...Array(timedOut).fill(503)]);
  for (const outcome of answers) {
    if (outcome.status === 429) expectRefusedAtOnceQueueFull(outcome, shape, tolerance.atOnceMs);
    else expectTimedOutAtPoolTimeout(outcome, shape.poolTimeout, tolerance);
  }
  const msOf = (status: number) => answers.filter((o) => o.status === status).map((o) => Math.round(o.ms));
  return { '429': msOf(429), '503': msOf(503) };
}

/** While unanswered, the request was counted as waiting by the pool: it really queued. */
export function expectWaitingWhileUnanswered(request: TrackedOperation, reading: PoolReading): void {
  const waiting = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  expect(request.outcome, 'the request was answered before the pool showed it waiting').to.equal(undefined);
  expect(waiting, `${reading.service} requests waiting`).to.be.at.least(1);
}

/**
 * It then succeeded once a connection freed up: not before the first holder gave its connection
 * back, and not more than `lateMs` after it (it was first in line for that connection).
 */
export function expectServedAfterFirstRelease(outcome: Outcome, holders: readonly Outcome[], lateMs: number): void {
  expect(outcome.status, describeOutcome(outcome)).to.equal(200);
  const firstRelease = Math.min(...holders.map((h) => h.finishedAt));
  // 250 ms: both answers cross the same loopback; their arrival order may swap by a few ms.
  expect(outcome.finishedAt - firstRelease, 'served after the first connection was given back (ms)').to.be.within(-250, lateMs);
}

/** As many requests were refused with 503 as waited; otherwise the message says what they got. */
export function expectCountedRefusals(all: readonly Outcome[], count: number): Outcome[] {
  const refused = all.filter((o) => o.status === 503);
  const others = all.filter((o) => o.status !== 503 && o.status !== 200);
  const example = others[0] ?? all.find((o) => o.status === 200);
  expect(refused.length, `requests refused with 503 (answers by status: ${JSON.stringify(countByStatus(all))}${example ? `; e.g. ${describeOutcome(example)} ${JSON.stringify(example.body)?.slice(0, 160)}` : ''})`).to.equal(count);
  return refused;
}

export function expectHoldersSucceeded(holders: readonly Outcome[], count: number): void {
  expect(holders.filter((o) => o.status === 200).length, 'holding operations that succeeded').to.equal(count);
}

export function expectSucceededAgain(outcomes: readonly Outcome[], count: number): void {
  expect(outcomes.map((o) => o.status), 'statuses after the blocking operations ended').to.deep.equal(Array(count).fill(200));
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

/** One burst's answers: the holders', the requests', and the places the requests took in the pool. */
export interface BurstAnswers {
  holders: readonly Outcome[];
  requests: readonly Outcome[];
  /** Undefined when the service reports no waiting count. */
  places: QueuePlaces | undefined;
}

/**
 * What a client and the pool can tell of an answer, without what rightly changes from one burst to
 * the next: timings (judged on their own), the health word (it remembers recent refusals by design),
 * the waiting count a timed-out request's refusal saw (the two waits end within the same
 * millisecond, in either order).
 */
function answerSignature(outcome: Outcome): string {
  if (outcome.status >= 200 && outcome.status < 300) return JSON.stringify({ status: outcome.status });
  const problem = outcome.body as Partial<Problem> | undefined;
  const pool = problem?.pool;
  return JSON.stringify({
    status: outcome.status,
    retryAfter: outcome.headers['retry-after'],
    type: problem?.type,
    title: problem?.title,
    detail: problem?.detail,
    pool: pool && { active: pool.active, capacity: pool.capacity, utilization: pool.utilization, ...(outcome.status === 429 ? { waiting: pool.waiting } : {}) },
  });
}

/**
 * The pool admits exactly as it did before: the same burst against the same saturated pool got the
 * same answers (as a set: which request came first is the network's choice), the holders the same
 * outcome, and the requests took the same places (connections in use, requests queued) in every
 * channel the service reports through.
 */
export function expectSameAnswers(service: string, first: BurstAnswers, again: BurstAnswers): void {
  const signatures = (outcomes: readonly Outcome[]) => outcomes.map(answerSignature).sort();
  expect(signatures(again.requests), `${service} answers to the burst, again vs the first time`).to.deep.equal(signatures(first.requests));
  expect(signatures(again.holders), `${service} answers to the holding operations, again vs the first time`).to.deep.equal(signatures(first.holders));
  // The answers are judged above whatever the target reports; the places need its waiting count.
  const [firstPlaces, placesAgain] = [first.places, again.places].map((places) => required(places, 'the number of requests waiting for a connection', `${service} does not report it, so the places a burst took cannot be compared`));
  expect(placesAgain, `${service} connections in use and requests queued once the burst arrived, again vs the first time`).to.deep.equal(firstPlaces);
}
