import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import { WebSocketRefused, type AnswerFrame, type WebSocketClient } from '../clients/websocket-client';

/** Longest a pong may take while the pool (not the event loop) is exhausted. */
const PING_WITHIN_MS = 2_000;

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

/** The socket survived: still open, and a protocol ping gets its pong. */
export async function expectOpenAndAnswersPing(client: WebSocketClient): Promise<number> {
  expect(client.isOpen, `socket open (closed with ${client.closeCode})`).to.equal(true);
  const roundTrip = await client.ping(PING_WITHIN_MS);
  expect(roundTrip, `a pong within ${PING_WITHIN_MS} ms`).to.be.a('number');
  return roundTrip!;
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
