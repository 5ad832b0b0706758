import { expect } from 'chai';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { WebSocketRefused, type AnswerFrame } from '../clients/websocket-client';
import type { Duration } from '../duration';
import type { TrackedOperation } from '../load/operations';
import { describeEvidence } from '../monitoring/pool-timeline';
import { required } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import { expectServedAfterFirstRelease } from './queue';
import { AT_POOL_TIMEOUT } from '../timeouts';

/** An error frame with the stable code, the status it stands for, and a retry hint a client can act on. */
export function expectErrorFrame(outcome: Outcome, code: string, status: number): AnswerFrame {
  const frame = outcome.body as AnswerFrame | undefined;
  expect(frame, `an answer frame (got ${outcome.error ?? 'nothing'})`).to.be.an('object');
  expect(frame!.ok, `frame ${JSON.stringify(frame)}`).to.equal(false);
  expect(frame!.error?.code, 'error code').to.equal(code);
  expect(frame!.error?.status, 'error status').to.equal(status);
  expect(frame!.error?.retryAfterSeconds, 'retry hint (seconds)').to.be.a('number').and.at.least(1);
  expect(frame!.error?.message, 'message tells the client when to retry').to.match(/retry after \d+ second/i);
  expect(frame!.error?.pool, 'the pool state at refusal').to.include.keys('active', 'waiting', 'capacity');
  return frame!;
}

/** The socket survived: it was open, and a protocol ping got its pong in time (`roundTripMs` undefined: none came). */
export function expectOpenAndAnswered(open: { isOpen: boolean; closeCode: number | undefined }, roundTripMs: number | undefined, withinMs: number): number {
  expect(open.isOpen, `socket open (closed with ${open.closeCode})`).to.equal(true);
  expect(roundTripMs, `a pong within ${withinMs} ms`).to.be.a('number');
  return roundTripMs!;
}

/** The upgrade was refused with 401 and a problem naming why. */
export function expectRefusedUnauthorized(refusal: unknown, reason: string): void {
  expect(refusal, 'the WebSocket upgrade was refused').to.be.instanceOf(WebSocketRefused);
  const { status, headers, body } = refusal as WebSocketRefused;
  expect(status, 'upgrade answer status').to.equal(401);
  expect(headers['www-authenticate'], 'WWW-Authenticate').to.equal('Bearer');
  expect(headers['content-type'], 'content type').to.match(/^application\/problem\+json/);
  const problem = body as { type?: string; detail?: string };
  expect(problem.type, 'problem type').to.equal('/problems/invalid-token');
  expect(problem.detail, 'the refusal names why').to.include(reason);
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
 * The waiting request got its data (an ok answer frame) once a connection was free: not before the
 * first holder gave one back, and within the pool timeout of its sending (or it would have been
 * refused); its socket stayed open all along.
 */
export function expectServedOnceFree(outcome: Outcome, holders: readonly Outcome[], poolTimeout: Duration, socket: { isOpen: boolean; closeCode: number | undefined }): AnswerFrame {
  const frame = outcome.body as AnswerFrame | undefined;
  expect(frame?.ok, `the WebSocket request's answer: ${describeOutcome(outcome)} ${JSON.stringify(frame)}`).to.equal(true);
  expectServedAfterFirstRelease(outcome, holders, AT_POOL_TIMEOUT.lateMs);
  expect(outcome.ms, `time the WebSocket request waited for its data (ms), against the pool timeout of ${poolTimeout}`).to.be.below(poolTimeout.ms);
  expect(socket.isOpen, `the WebSocket client's connection open after the exhaustion (closed with ${socket.closeCode})`).to.equal(true);
  return frame!;
}
