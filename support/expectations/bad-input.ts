import { expect } from 'chai';
import type { Problem } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import type { HealthReading } from '../targets/service-target';
import type { AnswerFrame } from '../clients/websocket-client';
import type { Operations } from '../load/operations';

import type { ServiceName } from '../system-under-test';
import type { BadInputEvidence, PoolLimitsSeen, StartRefusal } from '../tasks/bad-input';
import { FRAME_ANSWER_WITHIN_MS } from '../timeouts';

/** The code the backend closes a socket with after a frame over its limit (RFC 6455: message too big). */
const MESSAGE_TOO_BIG = 1009;

/** Refused with the status, as problem+json whose detail contains `says`; a 4xx, never a 5xx. */
export function expectRefusedWith(evidence: BadInputEvidence, status: number, says: string): Problem {
  const outcome = evidence.refusal;
  expect(outcome, 'a bad request was sent in this scenario').to.not.equal(undefined);
  const answer = `${describeOutcome(outcome!)}: ${JSON.stringify(outcome!.body)}`;
  expect(outcome!.status, answer).to.equal(status);
  expect(outcome!.status, 'bad input is the client\'s error: a 4xx').to.be.within(400, 499);
  expect(outcome!.headers['content-type'], 'content type').to.match(/^application\/problem\+json/);
  const problem = outcome!.body as Problem;
  expect(problem.status, 'problem status').to.equal(status);
  expect(problem.title, 'problem title').to.be.a('string').and.not.equal('');
  expect(problem.detail, 'the problem says what was wrong').to.be.a('string').and.include(says);
  return problem;
}

/** The refused change left every limit as it was (a partly applied change would show here). */
export function expectLimitsUnchanged(evidence: BadInputEvidence, service: ServiceName, now: PoolLimitsSeen): void {
  expect(evidence.target, 'the service the bad input went to').to.equal(service);
  expect(now, `${service} pool limits after the refused change`).to.deep.equal(evidence.limitsBefore);
}

/**
 * Another client was served right after, and nothing in the scenario was answered with a 5xx:
 * stricter than the backpressure features' check, since here not even a 503 is expected.
 */
export function expectKeptServing(evidence: BadInputEvidence, service: ServiceName, other: { served: Outcome; health: HealthReading }, operations: Operations): void {
  if (evidence.target) expect(evidence.target, 'the service the bad input went to').to.equal(service);
  expect(other.served.status, `another ${service} client: ${describeOutcome(other.served)} ${JSON.stringify(other.served.body)}`).to.equal(200);
  expect(other.health.status, `${service} health: ${describeOutcome(other.health.answer)}`).to.be.oneOf(['healthy', 'warning']);
  const fiveHundreds = operations.answered().filter(({ outcome }) => outcome.status >= 500);
  expect(fiveHundreds.map(({ label, outcome }) => `${label}: ${outcome.status}`), 'answers with a 5xx').to.deep.equal([]);
}

/** A second WebSocket client was served. */
export function expectWebSocketClientServed(answer: Outcome): void {
  expect(answer.status, `another WebSocket client: ${describeOutcome(answer)} ${JSON.stringify(answer.body)}`).to.equal(200);
}

/**
 * Exit code 2 before listening, and one line: `<service>: invalid configuration: VARIABLE=…` with
 * what is allowed. A secret's value never appears in it; any other value does, so the operator sees it.
 */
export function expectStartRefused(evidence: BadInputEvidence, variable: string, allowed: string, secret: boolean): StartRefusal {
  const { startRefusal, startedAnyway } = evidence;
  expect(startedAnyway, 'a process that should have refused to start listened at').to.equal(undefined);
  expect(startRefusal, 'the process refused to start').to.not.equal(undefined);
  const { service, exitCode, line, value } = startRefusal!;
  expect(startRefusal!.variable, 'the variable that was set').to.equal(variable);
  expect(exitCode, `exit code (its last line: ${line})`).to.equal(2);
  expect(line, 'a single line').to.not.include('\n');
  expect(line, 'the line names the service and the variable').to.match(new RegExp(`^${service}: invalid configuration: ${variable}=`));
  expect(line, 'the line says what is allowed').to.include(allowed);
  if (secret) expect(line, 'the line never repeats a secret').to.not.include(value);
  else expect(line, 'the line shows the value refused').to.include(JSON.stringify(value));
  return { ...startRefusal!, value: secret ? '<not shown>' : value };
}

/** The bad frame was answered with an error frame: the code, the status, a message naming the problem, its id when it had one. */
export function expectErrorFrameSaying(evidence: BadInputEvidence, code: string, status: number, says: string): AnswerFrame {
  const { frameAnswer, frameId } = evidence;
  expect(frameAnswer, `an answer frame within ${FRAME_ANSWER_WITHIN_MS} ms`).to.not.equal(undefined);
  const frame = `frame ${JSON.stringify(frameAnswer)}`;
  expect(frameAnswer!.ok, frame).to.equal(false);
  expect(frameAnswer!.error?.code, frame).to.equal(code);
  expect(frameAnswer!.error?.status, frame).to.equal(status);
  expect(frameAnswer!.error?.message, `${frame}: says what was wrong`).to.be.a('string').and.include(says);
  expect(frameAnswer!.id, `${frame}: answers the request it refused`).to.equal(frameId ?? null);
  return frameAnswer!;
}

/** The backend closed that socket with 1009 (message too big), by design. */
export function expectClosedAsTooBig(evidence: BadInputEvidence): number {
  const { closed } = evidence;
  expect(closed, `the socket closed within ${FRAME_ANSWER_WITHIN_MS} ms`).to.not.equal(undefined);
  expect(closed!.code, `close code (reason "${closed!.reason}")`).to.equal(MESSAGE_TOO_BIG);
  return closed!.code;
}

/**
 * Exactly one answer per request; `served` ran (ok), `refused` got TOO_MANY_IN_FLIGHT with 429 and a
 * retry hint, and nothing else came back.
 */
export function expectFloodAnswered(evidence: BadInputEvidence, served: number, refused: number): Record<string, number> {
  const { flood } = evidence;
  expect(flood, 'a flood was sent in this scenario').to.not.equal(undefined);
  const perId = new Map<unknown, number>();
  for (const frame of flood!.answers) perId.set(frame.id, (perId.get(frame.id) ?? 0) + 1);
  const notOnce = flood!.ids.filter((id) => perId.get(id) !== 1).map((id) => `${id}: ${perId.get(id) ?? 0}`);
  expect(notOnce, 'requests not answered exactly once').to.deep.equal([]);
  expect(flood!.answers.length, 'answer frames (none for something that was not sent)').to.equal(flood!.ids.length);
  const byKind: Record<string, number> = {};
  for (const frame of flood!.answers) {
    const kind = frame.ok ? 'served' : (frame.error?.code ?? 'no code');
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    if (!frame.ok) {
      expect(frame.error?.status, `refusal ${JSON.stringify(frame)}`).to.equal(429);
      expect(frame.error?.retryAfterSeconds, `refusal ${JSON.stringify(frame)}: retry hint`).to.be.a('number').and.at.least(1);
    }
  }
  expect(byKind, 'answers by kind').to.deep.equal({ served, ...(refused > 0 ? { TOO_MANY_IN_FLIGHT: refused } : {}) });
  return byKind;
}
