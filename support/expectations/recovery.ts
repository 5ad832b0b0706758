import { expect } from 'chai';
import type { BreakerState, HealthTransition, RecoveryAttempt, RecoveryReport } from '../clients/contract';
import { countByStatus, describeAnswer, type Outcome } from '../clients/outcome';
import { describeEvidence } from '../targets/evidence';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import { retryAfterSeconds } from './backpressure';

/*
 * The plan's test case 7: "Health status transitions from critical to healthy", "Pool metrics
 * normalize after recovery", "Recovery strategies execute in priority order", within its 60 s.
 * The first two are judged on every service (its health check, its pool); the order of strategies
 * and the recovery counted need the service's own recovery report (abilities.recoveryReport).
 */

export interface RecoveryFigures {
  /** From the moment health went critical to the moment it was healthy again. */
  recoveryMs: number;
  /** Not sooner than the pool had been stuck as long as the service waits before recovering (0 where the suite does not set it); not later than the limit the feature states. */
  earliestMs: number;
  limitMs: number;
  wentCriticalAt: string;
  healthyAt: string;
  /** Where the two moments come from: the service's own health history, or the suite's health checks. */
  evidence: string;
}

/**
 * Healthy again within `limitMs` of going critical (the plan's 60 s, as the feature states it), and
 * no sooner than `earliestMs` — the time the pool must have been stuck before the service's
 * recovery runs (healthy sooner, something else freed it).
 */
export function expectHealedWithinLimit(criticalAt: number, healthyAt: number, earliestMs: number, limitMs: number, evidence: string): RecoveryFigures {
  const recoveryMs = healthyAt - criticalAt;
  expect(recoveryMs, `recovery time (ms) from critical to healthy by ${evidence}: not before the pool was stuck ${earliestMs} ms, within the ${limitMs} ms limit`).to.be.within(earliestMs, limitMs);
  return { recoveryMs, earliestMs, limitMs, wentCriticalAt: new Date(criticalAt).toISOString(), healthyAt: new Date(healthyAt).toISOString(), evidence };
}

/** The last move to critical since `since`, and the move back to healthy after it, from the service's own transitions. */
export function criticalAndHealthyIn(service: string, transitions: readonly HealthTransition[], since: number): { criticalAt: number; healthyAt: number } {
  const mine = transitions.filter((t) => Date.parse(t.at) >= since);
  const critical = mine.findLast((t) => t.to === 'critical');
  expect(critical, `${service} went critical in this scenario: ${JSON.stringify(mine)}`).to.not.equal(undefined);
  const healthy = mine.find((t) => t.to === 'healthy' && t.at >= critical!.at);
  expect(healthy, `${service} came back to healthy after ${critical!.at}: ${JSON.stringify(mine)}`).to.not.equal(undefined);
  return { criticalAt: Date.parse(critical!.at), healthyAt: Date.parse(healthy!.at) };
}

/** "cancel long statements, reclaim leaked connections" -> the service's strategy names. */
export function strategyNames(text: string): string[] {
  return text.split(',').map((name) => name.trim().replace(/\s+/g, '-'));
}

/**
 * The attempts of this scenario: one automatic pass, the expected strategies exactly, in the
 * declared priority order, the last one succeeding — and the service declares that same order.
 */
export function expectStrategiesInOrder(report: RecoveryReport, since: number, expected: string[]): RecoveryAttempt[] {
  const attempts = report.attempts.filter((a) => Date.parse(a.at) >= since);
  const described = attempts.map((a) => `${a.priority}. ${a.strategy} (${a.trigger}): ${a.outcome}, ${a.detail}`).join('\n');
  expect(attempts.map((a) => a.strategy), `recovery attempts in this scenario:\n${described}`).to.deep.equal(expected);
  expect(new Set(attempts.map((a) => a.trigger)), 'who ran them').to.deep.equal(new Set(['automatic']));
  expect(new Set(attempts.map((a) => a.pass)).size, `one recovery pass:\n${described}`).to.equal(1);
  const declared = expected.map((name) => report.strategies.indexOf(name) + 1);
  expect(attempts.map((a) => a.priority), 'priorities as declared by the service').to.deep.equal(declared);
  expect([...declared].sort((a, b) => a - b), `the service's priority order ${report.strategies.join(', ')}`).to.deep.equal(declared);
  expect(declared, 'every expected strategy is one the service declares').to.not.include(0);
  expect(attempts.at(-1)?.outcome, `the last strategy healed the pool:\n${described}`).to.equal('succeeded');
  return attempts;
}

/** Backpressure at its barest: 429 or 503, with a Retry-After a client can read (RFC 9110). */
export function expectRefusedWithRetryAfter(outcome: Outcome, what: string): void {
  expect(outcome.status, `${what}: ${describeAnswer(outcome)}`).to.be.oneOf([429, 503]);
  expect(retryAfterSeconds(outcome), `${what}: Retry-After (${describeAnswer(outcome)})`).to.be.a('number');
}

/** Every request the scenario started has its answer: success, or backpressure with Retry-After — none hanging, none a 500. */
export function expectAllAnsweredWithoutError(answered: readonly Outcome[], succeeded: (o: Outcome) => boolean): Record<string, number> {
  for (const outcome of answered) {
    expect(outcome.status, `an answer for every request: ${describeAnswer(outcome)}`).to.not.equal(0);
    if (!succeeded(outcome)) expectRefusedWithRetryAfter(outcome, 'a request the service could not serve');
  }
  return countByStatus(answered);
}

/** Metrics back to normal: nothing held or waiting, utilization 0, healthy — in every figure the service gives. */
export function expectPoolNormal(reading: PoolReading): string {
  expect(reading.active, `${reading.service} connections in use`).to.equal(0);
  if (reading.waiting !== undefined) expect(reading.waiting, `${reading.service} requests waiting`).to.equal(0);
  if (reading.utilization !== undefined) expect(reading.utilization, `${reading.service} utilization`).to.equal(0);
  if (reading.health !== undefined) expect(reading.health, `${reading.service} health in its pool report`).to.equal('healthy');
  return describeEvidence(reading.evidence);
}

/**
 * The recovery counted, in every channel the service reports through (its JSON and Prometheus):
 * exactly the attempts (and successes) it recorded in this scenario, no more and no fewer.
 */
export function expectRecoveryCounted(before: readonly PoolReading[], now: readonly PoolReading[], report: RecoveryReport, since: number): { attempts: number; successes: number } {
  const recorded = report.attempts.filter((a) => Date.parse(a.at) >= since);
  const described = recorded.map((a) => `${a.strategy}: ${a.outcome}`).join(', ');
  expect(recorded.length, 'recovery attempts recorded in this scenario').to.be.at.least(1);
  const channels = now.filter((reading) => reading.recoveryAttempts !== undefined);
  if (channels.length === 0) throw new NotOffered('its own count of recovery attempts', 'it reports none in its pool metrics');
  for (const reading of channels) {
    const channel = describeEvidence(reading.evidence);
    const start = before.find((b) => describeEvidence(b.evidence) === channel) ?? before[0];
    expect((reading.recoveryAttempts ?? 0) - (start?.recoveryAttempts ?? 0), `${reading.service} recovery attempts counted in its ${channel} in this scenario vs recorded (${described})`).to.equal(recorded.length);
    expect((reading.recoverySuccesses ?? 0) - (start?.recoverySuccesses ?? 0), `${reading.service} recovery successes counted in its ${channel} in this scenario vs recorded (${described})`).to.equal(recorded.filter((a) => a.outcome === 'succeeded').length);
  }
  return { attempts: recorded.length, successes: recorded.filter((a) => a.outcome === 'succeeded').length };
}

export function expectSucceeded(outcome: Outcome, what: string, succeeded: (o: Outcome) => boolean = (o) => o.status >= 200 && o.status < 300): void {
  expect(succeeded(outcome), `${what}: ${describeAnswer(outcome)}`).to.equal(true);
}

/** The reset refused every waiting request (with backpressure) and took back every checked-out connection. */
export function expectResetTookBack(report: RecoveryReport, waiting: number, taken: number, refusedWaiters: readonly Outcome[]): void {
  const { lastReset } = report;
  expect(lastReset, 'the reset record').to.not.equal(undefined);
  expect([lastReset!.rejectedWaiters, lastReset!.reclaimedCheckouts], 'requests refused, connections taken back').to.deep.equal([waiting, taken]);
  for (const outcome of refusedWaiters) expectRefusedWithRetryAfter(outcome, 'a request waiting at the reset');
}

export function expectBreakerState(service: string, report: RecoveryReport, state: BreakerState): void {
  const breaker = report.circuitBreaker;
  expect(breaker.state, `${service} circuit breaker (${JSON.stringify(breaker.transitions.slice(-3))})`).to.equal(state);
}

/** The breaker's transitions in this scenario, in order. */
export function expectBreakerWent(service: string, report: RecoveryReport, since: number, states: BreakerState[]): void {
  const mine = report.circuitBreaker.transitions.filter((t) => Date.parse(t.at) >= since);
  expect(mine.map((t) => t.to), `${service} circuit breaker transitions: ${mine.map((t) => `${t.from}->${t.to} (${t.why})`).join(', ')}`).to.deep.equal(states);
}
