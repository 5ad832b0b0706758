import { expect } from 'chai';
import { describeAnswer, describeOutcome, type Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import type { TrackedOperation } from '../load/operations';
import { describeEvidence } from '../targets/evidence';
import { valueAt } from '../targets/json-path';
import { NotOffered, required } from '../targets/not-offered';
import type { RefusalKind } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { PoolReading } from '../targets/service-target';
import type { BadTokenKind, TokenMaker } from '../targets/token-maker';
import type { WebSocketRules } from '../targets/websocket-speaker';
import type { UpgradeResult } from '../tasks/websocket-sessions';
import { AT_POOL_TIMEOUT } from '../timeouts';
import { expectClientFriendly } from './backpressure';
import { expectServedAfterFirstRelease } from './queue';

/*
 * The plan: "WebSocket connections receive appropriate error messages" and "WebSocket
 * authentication continues working". RFC 6455 fills in the detail: a refused handshake is any
 * status other than 101 (here: 401 or 403, as for HTTP), or an accepted socket closed with 1008
 * (policy violation). Where the error's code, status, retry hint and message are in the service's
 * own messages comes from its description; its codes and fields only where it declares them.
 */

/**
 * An error message for a request refused by the pool for `kind`: backpressure of that kind (its
 * status: where the message carries none, the one its code or its timing stands for), a retry hint
 * of at least a second, a readable message, and the service's own codes and fields where it
 * declares them.
 */
export function expectErrorMessage(outcome: Outcome, kind: Extract<RefusalKind, 'timedOut' | 'queueFull'>, rules: WebSocketRules, settings: ScenarioSettings): unknown {
  const message = outcome.body;
  expect(message, `an answer message (got ${outcome.error ?? 'nothing'})`).to.not.equal(undefined);
  const error = valueAt(message, rules.error);
  expect(error, `an error in the answer ${JSON.stringify(message)?.slice(0, 300)}`).to.not.equal(undefined);
  expect(outcome.status, `the status the error stands for (${describeAnswer(outcome)})`).to.equal(kind === 'timedOut' ? 503 : 429);
  const retryAfter = required(rules.retryAfter, 'where its error messages keep a retry hint', 'its description names no place for it (websocket.answer.retryAfter)');
  const most = settings.poolTimeout.isBounded ? Math.max(1, Math.ceil(settings.poolTimeout.seconds)) : Number.POSITIVE_INFINITY;
  expect(valueAt(message, retryAfter), `retry hint (seconds) at ${retryAfter} in ${JSON.stringify(message)?.slice(0, 300)}`).to.be.a('number').and.within(1, most);
  if (rules.message) expectClientFriendly(valueAt(message, rules.message) as string | undefined, 'the error message');
  const code = rules.codes[kind];
  if (code) expect(valueAt(message, rules.code ?? 'code'), 'error code').to.equal(code);
  for (const field of rules.errorFields) expect(valueAt(error, field), `${field}, which every error of this service carries`).to.not.equal(undefined);
  return message;
}

/** The socket survived: it was open, and a protocol ping got its pong in time (`roundTripMs` undefined: none came). */
export function expectOpenAndAnswered(open: { isOpen: boolean; closeCode: number | undefined }, roundTripMs: number | undefined, withinMs: number): number {
  expect(open.isOpen, `socket open (closed with ${open.closeCode})`).to.equal(true);
  expect(roundTripMs, `a pong within ${withinMs} ms`).to.be.a('number');
  return roundTripMs!;
}


/**
 * The WebSocket was refused as unauthorized: its upgrade answered 401 or 403 (a 401 with the
 * WWW-Authenticate header RFC 9110 requires), or the socket was accepted and closed at once with a
 * close code the service uses for it (RFC 6455: 1008, policy violation); and the service's own
 * headers and problem type where it declares them.
 */
export function expectUpgradeRefused(result: UpgradeResult, rules: WebSocketRules): string {
  if ('failed' in result) expect.fail(`the WebSocket attempt ended without an answer: ${result.failed}`);
  if ('opened' in result) {
    expect(result.closeCode, `the socket was accepted: closed by the service with (RFC 6455: 1008) ${JSON.stringify(rules.refusal.closeCodes)}`).to.be.oneOf([...rules.refusal.closeCodes]);
    return `accepted, then closed with ${result.closeCode}`;
  }
  const { status, headers, body } = result.refused;
  expect(status, `upgrade answer status (${JSON.stringify(body)?.slice(0, 200)})`).to.be.oneOf([...rules.refusal.statuses]);
  if (status === 401) expect(headers['www-authenticate'], 'WWW-Authenticate on a 401 (RFC 9110 §15.5.2)').to.be.a('string');
  for (const [name, value] of Object.entries(rules.refusal.headers)) expect(headers[name.toLowerCase()], `${name} header`).to.equal(value);
  if (rules.refusal.type) expect(valueAt(body, 'type'), 'problem type').to.equal(rules.refusal.type);
  return `upgrade refused with ${status}`;
}

/** The reason a refusal body gives for a bad token, against the service's own words for that kind (a house rule: not judged where it declares none). */
export function expectReason(body: unknown, reasonPath: string | undefined, kind: BadTokenKind, tokens: TokenMaker): string {
  const words = tokens.reasonFor(kind);
  if (words === undefined || reasonPath === undefined) throw new NotOffered('the words the service uses for why a token is refused', 'its description declares none (tokens.refusal.reason and reasons): the refusal itself is judged, its wording is the service\'s own');
  const said = valueAt(body, reasonPath);
  expect(said, `the refusal's reason at ${reasonPath}`).to.be.a('string').and.include(words);
  return String(said);
}

/**
 * The socket's request waits in the pool's queue: it has no answer yet, and the pool counts exactly
 * one more waiting request than the `queuedBefore` that were waiting before it was sent.
 */
export function expectQueuedBehind(request: TrackedOperation, reading: PoolReading, queuedBefore: number): void {
  const waiting = required(reading.waiting, 'the number of requests waiting for a connection', `${reading.service} does not report it (its pool is read from ${describeEvidence(reading.evidence)})`);
  expect(request.outcome && describeOutcome(request.outcome), 'the WebSocket request was answered while every connection was held').to.equal(undefined);
  expect(waiting, `${reading.service} requests waiting: the ${queuedBefore} queued before, and the WebSocket request`).to.equal(queuedBefore + 1);
}

/**
 * The waiting request got its data (a successful answer) once a connection was free: not before the
 * first holder gave one back, and within the pool timeout of its sending (or it would have been
 * refused); its socket stayed open all along.
 */
export function expectServedOnceFree(outcome: Outcome, holders: readonly Outcome[], poolTimeout: Duration, socket: { isOpen: boolean; closeCode: number | undefined }): unknown {
  expect(outcome.status, `the WebSocket request's answer: ${describeAnswer(outcome)}`).to.equal(200);
  expectServedAfterFirstRelease(outcome, holders, AT_POOL_TIMEOUT.lateMs);
  expect(outcome.ms, `time the WebSocket request waited for its data (ms), against the pool timeout of ${poolTimeout}`).to.be.below(poolTimeout.ms);
  expect(socket.isOpen, `the WebSocket client's connection open after the exhaustion (closed with ${socket.closeCode})`).to.equal(true);
  return outcome.body;
}
