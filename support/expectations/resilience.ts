import { expect } from 'chai';
import { countByStatus, describeAnswer, type Outcome } from '../clients/outcome';
import type { HealthReading, ServiceTarget } from '../targets/service-target';
import { describeEvidence } from '../targets/evidence';
import { NotOffered } from '../targets/not-offered';
import type { ConnectionAudit } from '../tasks/connection-audit';
import type { KillFigures } from '../tasks/connection-kill';
import type { ConnectionRoom } from '../tasks/database-limits';
import { expectBackpressureOfAny } from './backpressure';

/** The process lived through the fault: its health check answered every time it was asked, and answers now. */
export function expectSurvived(kill: KillFigures, healthNow: HealthReading): void {
  expect(kill.healthAnswers['0'] ?? 0, `${kill.service} health checks left unanswered after the kill: ${JSON.stringify(kill.healthAnswers)}`).to.equal(0);
  expect(healthNow.status, `${kill.service} health now, in one of the plan's words: ${describeAnswer(healthNow.answer)}`).to.not.equal(undefined);
}

/** Every connection the kill hit was one the service held: all the checked-out ones at least. */
export function expectTerminatedAtLeast(kill: KillFigures, count: number): void {
  expect(kill.terminated, 'server connections terminated').to.be.at.least(count);
}

/**
 * Of the holders, as many as the database's limit leaves room for succeeded; the rest were refused
 * with 503, Retry-After and the database's own reason; none got a 500 or no answer.
 */
export function expectRefusalsBeyondRoom(room: ConnectionRoom, outcomes: readonly Outcome[], target: Pick<ServiceTarget, 'refusals' | 'settings' | 'succeeded'>): { room: number; limit: string; byStatus: Record<string, number> } {
  const byStatus = countByStatus(outcomes);
  const described = outcomes.map(describeAnswer).join('\n');
  expect(room.room, 'room the limit leaves the pool, below the number of operations').to.be.below(outcomes.length);
  expect(outcomes.filter((o) => target.succeeded(o)).length, `holders that succeeded, under ${room.limit}:\n${described}`).to.equal(room.room);
  for (const outcome of outcomes.filter((o) => !target.succeeded(o))) {
    const refusal = expectBackpressureOfAny(outcome, ['databaseDown', 'timedOut'], target.refusals, target.settings);
    // A house rule: where the service says it names PostgreSQL's reason, it must.
    if (target.refusals.namesDatabaseCause) expect(refusal.message, 'the refusal names the database\'s reason').to.match(room.reason);
  }
  return { room: room.room, limit: room.limit, byStatus };
}

/**
 * Nothing astray once the pool is quiet: nothing is checked out, every connection the service says
 * it has open is idle in its pool (a connection open but neither lent nor idle is one the pool lost
 * track of), and PostgreSQL sees exactly as many, none busy.
 */
export function expectEveryConnectionIdleInPool({ service, reported, database }: ConnectionAudit): ConnectionAudit['database'] & { idle: number } {
  const own = (figure: 'active' | 'idle' | 'open'): number => {
    const source = reported.evidence[figure];
    const value = source === 'json' || source === 'prometheus' ? reported[figure] : undefined;
    if (value === undefined) throw new NotOffered(`the service's own count of its ${figure === 'open' ? 'open' : figure} connections`, `${service} reports none (its pool is read from ${describeEvidence(reported.evidence)})`);
    return value;
  };
  const counts = { active: own('active'), idle: own('idle'), open: own('open') };
  expect(counts, `${service} connections checked out, idle in the pool, and open`).to.deep.equal({ active: 0, idle: counts.open, open: counts.open });
  expect(database, `${service} connections PostgreSQL sees (pg_stat_activity), against the ${counts.open} the pool has open`).to.deep.equal({ total: counts.open, busy: 0 });
  return { ...database, idle: counts.idle };
}
