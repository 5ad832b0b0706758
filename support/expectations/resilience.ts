import { expect } from 'chai';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import type { HealthAnswer } from '../clients/service-client';
import type { KillFigures } from '../tasks/connection-kill';
import type { ConnectionRoom } from '../tasks/database-limits';
import { expectBackpressure } from './backpressure';

/** The process lived through the fault: /health answered every time it was asked, and answers now. */
export function expectSurvived(kill: KillFigures, healthNow: HealthAnswer): void {
  expect(kill.healthAnswers['0'] ?? 0, `${kill.service} /health left unanswered after the kill: ${JSON.stringify(kill.healthAnswers)}`).to.equal(0);
  expect(healthNow.status, `${kill.service} /health now: ${describeOutcome(healthNow)}`).to.be.oneOf([200, 503]);
}

/** Every connection the kill hit was one the service held: all the checked-out ones at least. */
export function expectTerminatedAtLeast(kill: KillFigures, count: number): void {
  expect(kill.terminated, 'server connections terminated').to.be.at.least(count);
}

/**
 * Of the holders, as many as the database's limit leaves room for succeeded; the rest were refused
 * with 503, Retry-After and the database's own reason; none got a 500 or no answer.
 */
export function expectRefusalsBeyondRoom(room: ConnectionRoom, outcomes: readonly Outcome[]): { room: number; limit: string; byStatus: Record<string, number> } {
  const byStatus = countByStatus(outcomes);
  const described = outcomes.map((o) => `${describeOutcome(o)} ${JSON.stringify(o.body)}`).join('\n');
  expect(room.room, 'room the limit leaves the pool, below the number of operations').to.be.below(outcomes.length);
  expect(byStatus, `holders by status, under ${room.limit}:\n${described}`).to.deep.equal({ 200: room.room, 503: outcomes.length - room.room });
  for (const outcome of outcomes.filter((o) => o.status === 503)) {
    const problem = expectBackpressure(outcome, 503);
    expect(problem.detail, 'the refusal names the database\'s reason').to.match(room.reason);
  }
  return { room: room.room, limit: room.limit, byStatus };
}
