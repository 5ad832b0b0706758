import { expect } from 'chai';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import type { Operations, TrackedOperation } from '../load/operations';
import { describeEvidence, type PoolTimeline } from '../monitoring/pool-timeline';
import { required } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import { expectBackpressure } from './backpressure';

/** The pool shows `active` connections in use and `waiting` requests in its queue. */
export function expectQueue(reading: PoolReading, active: number, waiting: number): void {
  const waitingNow = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  // Both in one comparison: the state is transient, and the last failure must show all of it.
  expect({ active: reading.active, waiting: waitingNow }, `${reading.service} connections in use and requests waiting`).to.deep.equal({ active, waiting });
}

/**
 * Each request timed out with a 503 at the pool timeout: not before it (less `earlyMs` for timer
 * granularity) and not much after it (`lateMs`, for a busy 2-core machine). Measured on the
 * client from sending, which bounds the wait in the queue from above. Returns the measured range.
 */
export function expectTimedOutAtPoolTimeout(outcomes: Outcome[], poolTimeout: Duration, tolerance: { earlyMs: number; lateMs: number }): { minMs: number; maxMs: number } {
  const timeoutMs = poolTimeout.ms;
  for (const outcome of outcomes) {
    const problem = expectBackpressure(outcome, 503);
    expect(problem.type, 'problem type of a timed-out wait').to.equal('/problems/pool-timeout');
    // The number the detail names, read as seconds (SQLAlchemy's wording: "…, timeout 5.00").
    const named = Number(/\btimeout (\d+(?:\.\d+)?)/.exec(problem.detail)?.[1]);
    expect(named, `the pool timeout the detail names, in seconds ("${problem.detail}")`).to.equal(poolTimeout.seconds);
    expect(outcome.ms, `time until refused (ms), pool timeout ${timeoutMs} ms`).to.be.within(timeoutMs - tolerance.earlyMs, timeoutMs + tolerance.lateMs);
  }
  const times = outcomes.map((o) => o.ms);
  return { minMs: Math.min(...times), maxMs: Math.max(...times) };
}

/**
 * The pool's waiting count, as sampled over time, matched the requests known to be waiting at
 * each moment: at least those surely in the queue (sent `marginMs` before, answered `marginMs`
 * after), at most those possibly in it. The plateau at the full count must have been seen, so the
 * check cannot pass on an empty timeline.
 */
export function expectQueueLengthFollowed(timeline: PoolTimeline, service: string, waiters: Outcome[], marginMs = 400): { samples: number; plateau: number; peak: number } {
  const origin = timeline.startedAt;
  const samples = timeline.series(service, 'waiting', 'the number of waiting requests over time');
  const mismatches: string[] = [];
  let plateau = 0;
  for (const sample of samples) {
    const at = origin + sample.t;
    const surely = waiters.filter((w) => w.startedAt + marginMs <= at && w.finishedAt - marginMs >= at).length;
    const possibly = waiters.filter((w) => w.startedAt - marginMs <= at && at <= w.finishedAt + marginMs).length;
    if (surely === waiters.length) plateau++;
    if (sample.waiting < surely || sample.waiting > possibly) mismatches.push(`t=${sample.t} ms: waiting ${sample.waiting}, expected ${surely}..${possibly}`);
  }
  expect(mismatches, `${service} waiting count vs the requests waiting at that moment`).to.deep.equal([]);
  expect(plateau, `samples taken while all ${waiters.length} requests surely waited`).to.be.at.least(3);
  const peak = timeline.peak(service, 'waiting') ?? 0;
  expect(peak, `${service} peak waiting count`).to.equal(waiters.length);
  return { samples: samples.length, plateau, peak };
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

/** sent = 2xx + 429 + 503 + other, with the expected split and no unexplained answer. */
export async function expectAccounted(operations: Operations, expected?: { succeeded: number; queueFull: number; timedOut: number }): Promise<ReturnType<Operations['accounting']>> {
  const sent = (await operations.settled()).length;
  const counts = operations.accounting();
  expect(counts.sent, 'requests answered vs sent').to.equal(sent);
  expect(counts.others, 'answers other than 2xx, 429 and 503').to.deep.equal([]);
  expect(counts['2xx'] + counts['429'] + counts['503'] + counts.other, 'sent = 2xx + 429 + 503 + other').to.equal(counts.sent);
  if (expected) {
    expect({ succeeded: counts['2xx'], queueFull: counts['429'], timedOut: counts['503'] }, 'requests by outcome').to.deep.equal(expected);
  }
  return counts;
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

/** `queueFull` refused at once with 429 (well under a second), `timedOut` with 503, each with Retry-After. */
export function expectRefusalSplit(answers: Outcome[], queueFull: number, timedOut: number): void {
  expect(answers.map((o) => o.status).sort(), 'statuses of the requests').to.deep.equal([...Array(queueFull).fill(429), ...Array(timedOut).fill(503)]);
  for (const outcome of answers) {
    expectBackpressure(outcome, outcome.status as 429 | 503);
    if (outcome.status === 429) expect(outcome.ms, 'time until refused for a full queue (ms)').to.be.below(1000);
  }
}

/** While unanswered, the request was counted as waiting by the pool: it really queued. */
export function expectWaitingWhileUnanswered(request: TrackedOperation, reading: PoolReading): void {
  const waiting = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  expect(request.outcome, 'the request was answered before the pool showed it waiting').to.equal(undefined);
  expect(waiting, `${reading.service} requests waiting`).to.be.at.least(1);
}

/** It then succeeded, and not before the first holder gave a connection back. */
export function expectServedAfterFirstRelease(outcome: Outcome, holders: readonly Outcome[]): void {
  expect(outcome.status, describeOutcome(outcome)).to.equal(200);
  const firstRelease = Math.min(...holders.map((h) => h.finishedAt));
  // 250 ms: both answers cross the same loopback; their arrival order may swap by a few ms.
  expect(outcome.finishedAt, 'served before any connection was given back').to.be.at.least(firstRelease - 250);
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
