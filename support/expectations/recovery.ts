import { expect } from 'chai';
import type { BreakerState, PoolSnapshot, RecoveryAttempt, RecoveryReport } from '../clients/contract';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';

export interface RecoveryFigures {
  /** From the moment health went critical to the moment it was healthy again (the service's own record). */
  recoveryMs: number;
  /** Not sooner than the pool had been stuck as long as the service waits before recovering; not later than the limit the feature states. */
  earliestMs: number;
  limitMs: number;
  wentCriticalAt: string;
  healthyAt: string;
  attempts: Array<Pick<RecoveryAttempt, 'strategy' | 'outcome' | 'detail' | 'durationMs' | 'healthAfter'>>;
}

/** The pool says healthy. */
export function expectHealthy(snapshot: PoolSnapshot): PoolSnapshot {
  expect(snapshot.health.status, `${snapshot.service} health (${snapshot.health.reasons.join('; ')})`).to.equal('healthy');
  return snapshot;
}

/**
 * Healthy again by the service's own health history of this scenario: within `limitMs` of going
 * critical (the plan's 60 s, as the feature states it), and no sooner than `earliestMs` — the time
 * the pool must have been stuck before recovery runs (healthy sooner, something else freed it).
 */
export function expectHealedWithinLimit(snapshot: PoolSnapshot, report: RecoveryReport, since: number, earliestMs: number, limitMs: number): RecoveryFigures {
  const transitions = snapshot.health.transitions.filter((t) => Date.parse(t.at) >= since);
  const critical = transitions.findLast((t) => t.to === 'critical');
  expect(critical, `${snapshot.service} went critical in this scenario: ${JSON.stringify(transitions)}`).to.not.equal(undefined);
  const healthy = transitions.find((t) => t.to === 'healthy' && t.at >= critical!.at);
  expect(healthy, `${snapshot.service} came back to healthy after ${critical!.at}`).to.not.equal(undefined);
  const recoveryMs = Date.parse(healthy!.at) - Date.parse(critical!.at);
  expect(recoveryMs, `recovery time (ms): not before the pool was stuck ${earliestMs} ms, within the ${limitMs} ms limit`).to.be.within(earliestMs, limitMs);
  const attempts = report.attempts.filter((a) => Date.parse(a.at) >= since);
  return {
    recoveryMs,
    earliestMs,
    limitMs,
    wentCriticalAt: critical!.at,
    healthyAt: healthy!.at,
    attempts: attempts.map(({ strategy, outcome, detail, durationMs, healthAfter }) => ({ strategy, outcome, detail, durationMs, healthAfter })),
  };
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

/** Every request the scenario started has its answer: success or backpressure (503 + Retry-After), none hanging, none a 500. */
export function expectAllAnsweredWithoutError(answered: readonly Outcome[]): Record<string, number> {
  for (const outcome of answered) {
    expect(outcome.status, `an answer for every request: ${describeOutcome(outcome)}`).to.not.equal(0);
    expect(outcome.status, `no 500 for pool pressure: ${JSON.stringify(outcome.body)}`).to.be.oneOf([200, 503]);
    if (outcome.status === 503) expect(outcome.headers['retry-after'], `Retry-After on ${JSON.stringify(outcome.body)}`).to.match(/^\d+$/);
  }
  return countByStatus(answered);
}

/**
 * Metrics back to normal: nothing held or waiting, utilization 0, healthy, and the recovery counted
 * in JSON and in Prometheus — exactly the attempts (and successes) the service recorded in this
 * scenario, no more and no fewer.
 */
export function expectMetricsNormalised(snapshot: PoolSnapshot, metricsText: string, countersBefore: Record<string, number>, report: RecoveryReport, since: number): { attempts: number; successes: number } {
  const { service, connections, utilization, counters, health } = snapshot;
  expect(connections.active, `${service} connections in use`).to.equal(0);
  expect(connections.waiting, `${service} requests waiting`).to.equal(0);
  expect(utilization, `${service} utilization`).to.equal(0);
  expect(health.status, `${service} health`).to.equal('healthy');
  const recorded = report.attempts.filter((a) => Date.parse(a.at) >= since);
  const described = recorded.map((a) => `${a.strategy}: ${a.outcome}`).join(', ');
  const attempts = (counters.recoveryAttempts ?? 0) - (countersBefore.recoveryAttempts ?? 0);
  const successes = (counters.recoverySuccesses ?? 0) - (countersBefore.recoverySuccesses ?? 0);
  expect(recorded.length, `${service} recovery attempts recorded in this scenario`).to.be.at.least(1);
  expect(attempts, `${service} recovery attempts counted in this scenario vs recorded (${described})`).to.equal(recorded.length);
  expect(successes, `${service} recovery successes counted in this scenario vs recorded (${described})`).to.equal(recorded.filter((a) => a.outcome === 'succeeded').length);
  expect(metricsText, 'recovery attempts in the Prometheus metrics').to.match(new RegExp(`^dbpool_recovery_attempts_total\\{[^}]*\\} ${counters.recoveryAttempts}$`, 'm'));
  expect(metricsText, 'recovery successes in the Prometheus metrics').to.match(new RegExp(`^dbpool_recovery_successes_total\\{[^}]*\\} ${counters.recoverySuccesses}$`, 'm'));
  return { attempts, successes };
}

export function expectSucceeded(outcome: Outcome, what: string): void {
  expect(outcome.status, `${what}: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
}

/** A 503 of the given problem type with a Retry-After hint. */
export function expectRefused(outcome: Outcome, problemType: string, what: string): void {
  const body = outcome.body as { type?: string } | undefined;
  expect(outcome.status, `${what}: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(503);
  expect(body?.type, `${what}: problem type`).to.equal(problemType);
  expect(outcome.headers['retry-after'], `${what}: Retry-After`).to.match(/^\d+$/);
}

/** The reset refused every waiting request and took back every checked-out connection. */
export function expectResetTookBack(report: RecoveryReport, waiting: number, taken: number, refusedWaiters: readonly Outcome[]): void {
  const { lastReset } = report;
  expect(lastReset, 'the reset record').to.not.equal(undefined);
  expect([lastReset!.rejectedWaiters, lastReset!.reclaimedCheckouts], 'requests refused, connections taken back').to.deep.equal([waiting, taken]);
  for (const outcome of refusedWaiters) expectRefused(outcome, '/problems/pool-reset', 'a request waiting at the reset');
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
