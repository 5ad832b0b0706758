import { expect } from 'chai';
import { describeAnswer, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import { valueAt } from '../targets/json-path';
import { NotOffered } from '../targets/not-offered';
import { expectedFields, type RefusalKind, type RefusalRules } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { HealthReading } from '../targets/service-target';

/*
 * Backpressure, judged by the plan's words and the standards that fill in their detail — never by
 * one service's style. What a service chose (which status for what, its format, where its message
 * is) and its house rules come from its target description (RefusalRules).
 *
 *   the plan asks                                   the standard
 *   503 or 429 when the pool is exhausted, no 500   RFC 9110 §15.6.4 (503), RFC 6585 §4 (429)
 *   "response headers suggest retry timing"         RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date
 *   "consistent error response format"              one media type and one set of fields on every refusal;
 *                                                   RFC 9457 problem details where the service uses them
 *   "client-friendly error messages"                a message a person can read: words, no stack trace
 */

const REASON_WORDS: Record<RefusalKind, string> = { timedOut: 'the wait timed out', queueFull: 'the queue was full', breakerOpen: 'the breaker is open', databaseDown: 'the database is unavailable' };

/** Usual places of a JSON error body's message (FastAPI's detail, Express's message, …). */
const MESSAGE_FIELDS = ['detail', 'message', 'error.message', 'error', 'title'];
/** A stack trace or an exception dump is not a message for a client. */
const NOT_FOR_CLIENTS = /\n\s+at \S|Traceback \(most recent call last\)|^\s*File ".*", line \d+/m;

/** The delay Retry-After asks for, in seconds (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date measured from the answer's Date); undefined when it is neither. */
export function retryAfterSeconds(outcome: Outcome): number | undefined {
  const value = outcome.headers['retry-after']?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/GMT$/.test(value)) return undefined;
  const from = Date.parse(outcome.headers.date ?? '') || outcome.finishedAt;
  return Math.max(0, Math.round((at - from) / 1000));
}

/** The refusal's message, where the service keeps it. */
export function messageOf(outcome: Outcome, rules: RefusalRules): string | undefined {
  if (typeof outcome.body === 'string') return outcome.body.trim() || undefined;
  const fields = rules.message ? [rules.message] : MESSAGE_FIELDS;
  for (const field of fields) {
    const value = valueAt(outcome.body, field);
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** A message a person can act on: words, not a code or a stack trace. */
export function expectClientFriendly(message: string | undefined, where: string): void {
  expect(message, `${where}: a message for the client`).to.be.a('string');
  expect(/[A-Za-z]{2,}.*\s.*[A-Za-z]{2,}/s.test(message!), `${where}: the message "${message!.slice(0, 120)}" is words a person can read`).to.equal(true);
  expect(NOT_FOR_CLIENTS.test(message!), `${where}: the message shows a stack trace: "${message!.slice(0, 200)}"`).to.equal(false);
}

export interface JudgedRefusal {
  kind: RefusalKind;
  status: number;
  retryAfterSeconds: number;
  message: string | undefined;
  /** The media type and the body's fields: what "one consistent format" compares. */
  format: string;
}

/** The media type and top-level field names of an answer. */
export function formatOf(outcome: Outcome): string {
  const mediaType = (outcome.headers['content-type'] ?? 'none').split(';')[0]!.trim();
  const fields = outcome.body && typeof outcome.body === 'object' ? Object.keys(outcome.body).sort().join(',') : typeof outcome.body;
  return `${mediaType} {${fields}}`;
}

/**
 * A refusal of `kind` done right: a status the plan allows (and the one the service says it uses
 * for this kind), a Retry-After a client can act on, and — by the format the service declares — an
 * RFC 9457 problem or a JSON body with a readable message; plus the house rules it declares.
 */
export function expectBackpressure(outcome: Outcome, kind: RefusalKind, rules: RefusalRules, settings: ScenarioSettings): JudgedRefusal {
  const answer = describeAnswer(outcome);
  const { statuses, type } = rules.kinds[kind];
  expect(outcome.status, `status of the refusal (${answer})`).to.be.oneOf([...statuses]);
  const seconds = retryAfterSeconds(outcome);
  expect(seconds, `Retry-After (RFC 9110: delay-seconds or an HTTP-date) on ${answer}`).to.be.a('number');
  let message: string | undefined;
  if (rules.format !== 'any') {
    const mediaType = rules.format === 'problem+json' ? /^application\/problem\+json/ : /^application\/(?:[\w.+-]+\+)?json/;
    expect(outcome.headers['content-type'], `content type of the refusal (${answer})`).to.match(mediaType);
    expect(outcome.body, `a JSON body (${answer})`).to.be.an('object');
    message = messageOf(outcome, rules);
    expectClientFriendly(message, `the refusal (${answer})`);
  }
  if (rules.format === 'problem+json') {
    // RFC 9457 §3.1: type and title are strings where given; status, where given, is the HTTP status.
    const problem = outcome.body as Record<string, unknown>;
    if (problem.type !== undefined) expect(problem.type, 'problem type (RFC 9457: a URI reference)').to.be.a('string');
    if (problem.title !== undefined) expect(problem.title, 'problem title').to.be.a('string');
    if (problem.status !== undefined) expect(problem.status, 'problem status (RFC 9457: the HTTP status)').to.equal(outcome.status);
  }
  if (rules.retryAfterField) expect(valueAt(outcome.body, rules.retryAfterField), `${rules.retryAfterField}, the body's retry hint, against Retry-After`).to.equal(seconds);
  // House rules: only where the service declares them.
  if (type) expect(valueAt(outcome.body, 'type'), `problem type of a refusal because ${REASON_WORDS[kind]}`).to.equal(type);
  for (const field of rules.fields) expect(valueAt(outcome.body, field), `${field}, which every refusal of this service carries (${answer})`).to.not.equal(undefined);
  for (const [field, value] of Object.entries(expectedFields(rules, kind, settings))) expect(valueAt(outcome.body, field), `${field} of the refusal (${answer})`).to.equal(value);
  return { kind, status: outcome.status, retryAfterSeconds: seconds!, message, format: formatOf(outcome) };
}

/**
 * The Retry-After a client may act on, for a refusal by the pool (queue full or timed out): at least
 * 1 second — 0 would send the client straight back into the same full pool — and at most the pool
 * timeout rounded up to a whole second: within one pool timeout every request that waited when this
 * one was refused has been served or refused in its turn, so a longer hint keeps a client away from
 * a pool that no longer has a reason to refuse it.
 */
export function expectRetryAfterWithinPoolTimeout(refusal: JudgedRefusal, poolTimeout: Duration): number {
  const most = poolTimeout.isBounded ? Math.max(1, Math.ceil(poolTimeout.seconds)) : Number.POSITIVE_INFINITY;
  expect(refusal.retryAfterSeconds, `Retry-After seconds for a pool with a ${poolTimeout} timeout`).to.be.within(1, most);
  return refusal.retryAfterSeconds;
}

/**
 * Refused because the wait for a connection reached the pool timeout: answered not before the pool
 * timeout (less `earlyMs` for timer granularity) and not much after it (`lateMs`, for a busy 2-core
 * machine), measured at the client from sending, which bounds the wait in the queue from above;
 * and backpressure a client can act on.
 */
export function expectTimedOutAtPoolTimeout(outcome: Outcome, rules: RefusalRules, settings: ScenarioSettings, tolerance: { earlyMs: number; lateMs: number }): JudgedRefusal {
  const { poolTimeout } = settings;
  if (!poolTimeout.isBounded) throw new NotOffered('a pool timeout', 'the service lets requests wait for a connection without bound');
  const refusal = expectBackpressure(outcome, 'timedOut', rules, settings);
  expect(outcome.ms, `time until refused (ms), pool timeout ${poolTimeout.ms} ms (${describeAnswer(outcome)})`).to.be.within(poolTimeout.ms - tolerance.earlyMs, poolTimeout.ms + tolerance.lateMs);
  expectRetryAfterWithinPoolTimeout(refusal, poolTimeout);
  return refusal;
}

/**
 * Refused at once because the queue was full: answered within `atOnceMs` (a refusal that does not
 * wait; npm run bench measures the real figure) and well before the pool timeout, so it cannot be a
 * wait that timed out; and backpressure a client can act on.
 */
export function expectRefusedAtOnceQueueFull(outcome: Outcome, rules: RefusalRules, settings: ScenarioSettings, atOnceMs: number): JudgedRefusal {
  const refusal = expectBackpressure(outcome, 'queueFull', rules, settings);
  expect(outcome.ms, `time until refused (ms) (${describeAnswer(outcome)})`).to.be.within(0, Math.min(atOnceMs, settings.poolTimeout.ms / 2));
  expectRetryAfterWithinPoolTimeout(refusal, settings.poolTimeout);
  return refusal;
}

/** Answered between `fromMs` and `toMs` after it was sent. */
export function expectRefusedWithin(outcome: Outcome, fromMs: number, toMs: number): void {
  if (fromMs > 0) expect(outcome.ms, 'time until refused (ms)').to.be.within(fromMs, toMs);
  else expect(outcome.ms, `time until refused (ms) (${describeAnswer(outcome)})`).to.be.below(toMs);
}

/**
 * Pool pressure is never a 500: no request of the scenario was answered with a 5xx other than 503.
 * `answers` are every request of the scenario, each answered (a holder still running cannot hide one).
 */
export function expectNoServerErrors(answers: ReadonlyArray<{ label: string; outcome: Outcome }>): void {
  const serverErrors = answers.filter(({ outcome }) => outcome.status >= 500 && outcome.status !== 503).map(({ label, outcome }) => `${label}: ${describeAnswer(outcome)}`);
  expect(serverErrors, `requests answered with a server error, among all ${answers.length} of the scenario`).to.deep.equal([]);
}

/** The service is up: its health check answers, in a form that maps to one of the plan's words. */
export function expectServiceAnswersHealth(service: string, health: HealthReading): void {
  expect(health.answer.status, `${service} health check answered (${describeAnswer(health.answer)})`).to.not.equal(0);
  expect(health.status, `${service} health check in a known form: ${describeAnswer(health.answer)}`).to.not.equal(undefined);
}

/** Every request of the scenario got an answer (no connection refused or reset, no timeout): a service that went down would leave some without. */
export function expectEveryAnswerCame(answers: ReadonlyArray<{ label: string; outcome: Outcome }>): void {
  const unanswered = answers.filter(({ outcome }) => outcome.status === 0).map(({ label, outcome }) => `${label}: ${outcome.error}`);
  expect(unanswered, 'requests that got no answer at all').to.deep.equal([]);
}

/**
 * Every refusal of the scenario is backpressure in one format: the same media type and fields, each
 * with a client-friendly message. A service whose description gives no format (refusals.format:
 * any) is judged on its statuses and Retry-After only: this check is then not judged.
 */
export function expectOneFormat(refusals: readonly Outcome[], kindOf: (o: Outcome) => RefusalKind, rules: RefusalRules, settings: ScenarioSettings): string {
  if (rules.format === 'any') throw new NotOffered('the format of its refusals', 'its target description says refusals may be any body (refusals.format: any), so only their status and Retry-After are judged');
  expect(refusals.length, 'refusals to compare').to.be.at.least(2);
  const formats = new Set(refusals.map((o) => expectBackpressure(o, kindOf(o), rules, settings).format));
  expect([...formats], 'media type and fields of every refusal').to.have.length(1);
  return [...formats][0]!;
}

/** Backpressure for any one of `kinds` (while the database is down, a service may say so, or that its breaker is open). */
export function expectBackpressureOfAny(outcome: Outcome, kinds: readonly RefusalKind[], rules: RefusalRules, settings: ScenarioSettings): JudgedRefusal {
  const failures: Error[] = [];
  for (const kind of kinds) {
    try {
      return expectBackpressure(outcome, kind, rules, settings);
    } catch (error) {
      failures.push(error as Error);
    }
  }
  throw failures[0]!;
}
