import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import { WebSocketRefused, type AnswerFrame } from '../clients/websocket-client';

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
