import { expect } from 'chai';
import type { Problem } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import type { HealthReading } from '../targets/service-target';

/**
 * Backpressure done right: the status the plan names, a Retry-After in whole seconds, and an
 * RFC 9457 problem+json body in the one consistent format, with a client-friendly message.
 */
export function expectBackpressure(outcome: Outcome, status: 429 | 503): Problem {
  // The message must not begin with "expected": Cucumber's formatter drops such a message from a diffable failure.
  expect(outcome.status, `status of the answer (${describeOutcome(outcome)}: ${JSON.stringify(outcome.body)})`).to.equal(status);
  const retryAfter = outcome.headers['retry-after'];
  expect(retryAfter, 'Retry-After header').to.match(/^\d+$/);
  expect(Number(retryAfter), 'Retry-After seconds').to.be.at.least(1);
  expect(outcome.headers['content-type'], 'content type').to.match(/^application\/problem\+json/);
  const problem = outcome.body as Problem;
  expect(problem.status, 'problem status').to.equal(status);
  expect(problem.type, 'problem type').to.be.a('string').and.not.equal('');
  expect(problem.title, 'problem title').to.be.a('string').and.not.equal('');
  expect(problem.detail, 'problem detail tells the client when to retry').to.match(/retry after \d+ second/i);
  expect(problem.retryAfterSeconds, 'problem retry hint matches Retry-After').to.equal(Number(retryAfter));
  expect(problem.pool, 'problem carries the pool state').to.include.keys('active', 'waiting', 'capacity', 'utilization', 'health');
  return problem;
}

/**
 * The Retry-After a client may act on, for a refusal by the pool (queue full or timed out): a whole
 * number of seconds (checked by expectBackpressure), at least 1 — 0 would send the client straight
 * back into the same full pool — and at most the pool timeout rounded up to a whole second. Within
 * one pool timeout every request that waited when this one was refused has been served or refused in
 * its turn: the queue that caused the refusal is gone, so a longer hint would keep a client away from
 * a pool that no longer has a reason to refuse it. (Our services say 1 for a full queue and the pool
 * timeout, rounded up, for a timed-out wait.)
 */
export function expectRetryAfterWithinPoolTimeout(outcome: Outcome, poolTimeout: Duration): number {
  const seconds = Number(outcome.headers['retry-after']);
  const most = Math.max(1, Math.ceil(poolTimeout.seconds));
  expect(seconds, `Retry-After seconds for a pool with a ${poolTimeout} timeout`).to.be.within(1, most);
  return seconds;
}

/**
 * Refused with 503 because the wait for a connection reached the pool timeout: the problem type says
 * so and the detail names the timeout (SQLAlchemy's wording: "…, timeout 5.00"); answered not before
 * the pool timeout (less `earlyMs` for timer granularity) and not much after it (`lateMs`, for a busy
 * 2-core machine), measured on the client from sending, which bounds the wait in the queue from
 * above; and a Retry-After a client can act on.
 */
export function expectTimedOutAtPoolTimeout(outcome: Outcome, poolTimeout: Duration, tolerance: { earlyMs: number; lateMs: number }): Problem {
  const problem = expectBackpressure(outcome, 503);
  expect(problem.type, 'problem type of a timed-out wait').to.equal('/problems/pool-timeout');
  const named = Number(/\btimeout (\d+(?:\.\d+)?)/.exec(problem.detail)?.[1]);
  expect(named, `the pool timeout the detail names, in seconds ("${problem.detail}")`).to.equal(poolTimeout.seconds);
  expect(outcome.ms, `time until refused (ms), pool timeout ${poolTimeout.ms} ms`).to.be.within(poolTimeout.ms - tolerance.earlyMs, poolTimeout.ms + tolerance.lateMs);
  expectRetryAfterWithinPoolTimeout(outcome, poolTimeout);
  return problem;
}

/**
 * Refused with 429 at once because the queue was full: the problem type says so and the detail names
 * the queue's bound; answered within `atOnceMs` (a refusal that does not wait; npm run bench measures
 * the real figure) and well before the pool timeout, so it cannot be a wait that timed out; and a
 * Retry-After a client can act on.
 */
export function expectRefusedAtOnceQueueFull(outcome: Outcome, shape: { maxQueue: number; poolTimeout: Duration }, atOnceMs: number): Problem {
  const problem = expectBackpressure(outcome, 429);
  expect(problem.type, 'problem type of a refusal with a full queue').to.equal('/problems/pool-queue-full');
  expect(problem.detail, `the detail names the queue's bound of ${shape.maxQueue}`).to.match(new RegExp(`\\b${shape.maxQueue}\\b.*\\bwaiting\\b`));
  expect(outcome.ms, 'time until refused (ms)').to.be.within(0, Math.min(atOnceMs, shape.poolTimeout.ms / 2));
  expectRetryAfterWithinPoolTimeout(outcome, shape.poolTimeout);
  return problem;
}

/** Answered between `fromMs` and `toMs` after it was sent. */
export function expectRefusedWithin(outcome: Outcome, fromMs: number, toMs: number): void {
  if (fromMs > 0) expect(outcome.ms, 'time until refused (ms)').to.be.within(fromMs, toMs);
  else expect(outcome.ms, 'time until refused (ms)').to.be.below(toMs);
}

/**
 * Pool pressure is never a 500: no request of the scenario was answered with a 5xx other than 503.
 * `answers` are every request of the scenario, each answered (a holder still running cannot hide one).
 */
export function expectNoServerErrors(answers: ReadonlyArray<{ label: string; outcome: Outcome }>): void {
  const serverErrors = answers.filter(({ outcome }) => outcome.status >= 500 && outcome.status !== 503).map(({ label, outcome }) => `${label}: ${describeOutcome(outcome)}`);
  expect(serverErrors, `requests answered with a server error, among all ${answers.length} of the scenario`).to.deep.equal([]);
}

/** The service is up: its health check answers, in a form that maps to one of the plan's words. */
export function expectServiceAnswersHealth(service: string, health: HealthReading): void {
  expect(health.answer.status, `${service} health check answered (${describeOutcome(health.answer)})`).to.not.equal(0);
  expect(health.status, `${service} health check in a known form: ${JSON.stringify(health.answer.body)?.slice(0, 200)}`).to.not.equal(undefined);
}

/** Every request of the scenario got an answer (no connection refused or reset, no timeout): a service that went down would leave some without. */
export function expectEveryAnswerCame(answers: ReadonlyArray<{ label: string; outcome: Outcome }>): void {
  const unanswered = answers.filter(({ outcome }) => outcome.status === 0).map(({ label, outcome }) => `${label}: ${outcome.error}`);
  expect(unanswered, 'requests that got no answer at all').to.deep.equal([]);
}
