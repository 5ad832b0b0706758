import { expect } from 'chai';
import type { Problem } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import type { HealthReading } from '../targets/service-target';
import type { Operations } from '../load/operations';

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

/** Pool pressure is never a 500: no request of the scenario was answered with a 5xx other than 503. */
export function expectNoServerErrors(operations: Operations): void {
  const serverErrors = operations
    .answered()
    .filter(({ outcome }) => outcome.status >= 500 && outcome.status !== 503)
    .map(({ label, outcome }) => `${label}: ${outcome.status}`);
  expect(serverErrors, 'requests answered with a server error').to.deep.equal([]);
}

/** Answered between `fromMs` and `toMs` after it was sent. */
export function expectRefusedWithin(outcome: Outcome, fromMs: number, toMs: number): void {
  if (fromMs > 0) expect(outcome.ms, 'time until refused (ms)').to.be.within(fromMs, toMs);
  else expect(outcome.ms, 'time until refused (ms)').to.be.below(toMs);
}

/** The service is up: its health check answers, in a form that maps to one of the plan's words. */
export function expectServiceAnswersHealth(service: string, health: HealthReading): void {
  expect(health.answer.status, `${service} health check answered (${describeOutcome(health.answer)})`).to.not.equal(0);
  expect(health.status, `${service} health check in a known form: ${JSON.stringify(health.answer.body)?.slice(0, 200)}`).to.not.equal(undefined);
}

/** Every request answered so far got an answer (no connection refused or reset, no timeout). */
export function expectEveryAnswerCame(operations: Operations): void {
  const unanswered = operations.answered().filter(({ outcome }) => outcome.status === 0).map(({ label, outcome }) => `${label}: ${outcome.error}`);
  expect(unanswered, 'requests that got no answer at all').to.deep.equal([]);
}
