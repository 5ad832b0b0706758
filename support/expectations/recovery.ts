import { expect } from 'chai';
import type { BreakerState, RecoveryAttempt, RecoveryReport } from '../clients/contract';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import { WAIT, eventually } from '../eventually';
import type { Operations } from '../load/operations';

/** The plan's limit: "Recovery Time: should complete within 60 seconds". */
export const RECOVERY_LIMIT_MS = 60_000;

export interface RecoveryFigures {
  /** From the moment health went critical to the moment it was healthy again (the service's own record). */
  recoveryMs: number;
  limitMs: number;
  wentCriticalAt: string;
  healthyAt: string;
  attempts: Array<Pick<RecoveryAttempt, 'strategy' | 'outcome' | 'detail' | 'durationMs' | 'healthAfter'>>;
}

/** Health comes back to healthy within the plan's 60 s; the time is taken from the health history. */
export async function expectHealedWithinLimit(client: ServiceClient, since: number): Promise<RecoveryFigures> {
  const snapshot = await eventually(async () => {
    const current = await client.poolSnapshot();
    expect(current.health.status, `${client.service} health (${current.health.reasons.join('; ')})`).to.equal('healthy');
    return current;
  }, { within: RECOVERY_LIMIT_MS, every: 200 });
  const transitions = snapshot.health.transitions.filter((t) => Date.parse(t.at) >= since);
  const critical = transitions.findLast((t) => t.to === 'critical');
  expect(critical, `${client.service} went critical in this scenario: ${JSON.stringify(transitions)}`).to.not.equal(undefined);
  const healthy = transitions.find((t) => t.to === 'healthy' && t.at >= critical!.at);
  expect(healthy, `${client.service} came back to healthy after ${critical!.at}`).to.not.equal(undefined);
  const recoveryMs = Date.parse(healthy!.at) - Date.parse(critical!.at);
  expect(recoveryMs, 'recovery time (ms) against the plan\'s 60 s').to.be.at.most(RECOVERY_LIMIT_MS);
  const attempts = (await finishedRecoveryPass(client, since)).attempts.filter((a) => Date.parse(a.at) >= since);
  return {
    recoveryMs,
    limitMs: RECOVERY_LIMIT_MS,
    wentCriticalAt: critical!.at,
    healthyAt: healthy!.at,
    attempts: attempts.map(({ strategy, outcome, detail, durationMs, healthAfter }) => ({ strategy, outcome, detail, durationMs, healthAfter })),
  };
}

/**
 * The recovery report once a pass that began in this scenario has finished. Health can turn
 * healthy while the pass still waits for it to settle, before it records its last attempt.
 */
async function finishedRecoveryPass(client: ServiceClient, since: number): Promise<RecoveryReport> {
  return eventually(async () => {
    const report = await client.recoveryReport();
    const began = report.lastPass ? Date.parse(report.lastPass.startedAt) : Number.NaN;
    expect(began >= since, `${client.service} finished a recovery pass in this scenario (last pass: ${JSON.stringify(report.lastPass ?? null)})`).to.equal(true);
    return report;
  }, { within: WAIT.settle, every: 100 });
}

/** "cancel long statements, reclaim leaked connections" -> the service's strategy names. */
export function strategyNames(text: string): string[] {
  return text.split(',').map((name) => name.trim().replace(/\s+/g, '-'));
}

/**
 * The attempts of this scenario: one automatic pass, the expected strategies exactly, in the
 * declared priority order, the last one succeeding — and the service declares that same order.
 */
export async function expectStrategiesInOrder(client: ServiceClient, since: number, expected: string[]): Promise<RecoveryAttempt[]> {
  const report = await finishedRecoveryPass(client, since);
  const attempts = report.attempts.filter((a) => Date.parse(a.at) >= since);
  const described = attempts.map((a) => `${a.priority}. ${a.strategy} (${a.trigger}): ${a.outcome}, ${a.detail}`).join('\n');
  expect(attempts.map((a) => a.strategy), `${client.service} recovery attempts in this scenario:\n${described}`).to.deep.equal(expected);
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
export async function expectAllAnsweredWithoutError(operations: Operations): Promise<Record<string, number>> {
  const answered = await operations.settled();
  for (const outcome of answered) {
    expect(outcome.status, `an answer for every request: ${describeOutcome(outcome)}`).to.not.equal(0);
    expect(outcome.status, `no 500 for pool pressure: ${JSON.stringify(outcome.body)}`).to.be.oneOf([200, 503]);
    if (outcome.status === 503) expect(outcome.headers['retry-after'], `Retry-After on ${JSON.stringify(outcome.body)}`).to.match(/^\d+$/);
  }
  return countByStatus(answered);
}

/** Metrics back to normal: nothing held or waiting, utilization 0, and the recovery counted. */
export async function expectMetricsNormalised(client: ServiceClient, countersBefore: Record<string, number>): Promise<{ attempts: number; successes: number }> {
  return eventually(async () => {
    const { connections, utilization, counters, health } = await client.poolSnapshot();
    expect(connections.active, `${client.service} connections in use`).to.equal(0);
    expect(connections.waiting, `${client.service} requests waiting`).to.equal(0);
    expect(utilization, `${client.service} utilization`).to.equal(0);
    expect(health.status, `${client.service} health`).to.equal('healthy');
    const attempts = (counters.recoveryAttempts ?? 0) - (countersBefore.recoveryAttempts ?? 0);
    const successes = (counters.recoverySuccesses ?? 0) - (countersBefore.recoverySuccesses ?? 0);
    expect(successes, `${client.service} recovery successes counted`).to.be.at.least(1);
    expect(attempts, `${client.service} recovery attempts counted`).to.be.at.least(successes);
    const text = (await client.request('GET', '/metrics')).body as string;
    expect(text, 'recovery attempts in the Prometheus metrics').to.match(new RegExp(`^dbpool_recovery_attempts_total\\{[^}]*\\} ${counters.recoveryAttempts}$`, 'm'));
    expect(text, 'recovery successes in the Prometheus metrics').to.match(new RegExp(`^dbpool_recovery_successes_total\\{[^}]*\\} ${counters.recoverySuccesses}$`, 'm'));
    return { attempts, successes };
  }, { within: WAIT.settle });
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

export async function expectBreakerState(client: ServiceClient, state: BreakerState): Promise<void> {
  const breaker = (await client.recoveryReport()).circuitBreaker;
  expect(breaker.state, `${client.service} circuit breaker (${JSON.stringify(breaker.transitions.slice(-3))})`).to.equal(state);
}

/** The breaker's transitions in this scenario, in order. */
export async function expectBreakerWent(client: ServiceClient, since: number, states: BreakerState[]): Promise<void> {
  const { transitions } = (await client.recoveryReport()).circuitBreaker;
  const mine = transitions.filter((t) => Date.parse(t.at) >= since);
  expect(mine.map((t) => t.to), `${client.service} circuit breaker transitions: ${mine.map((t) => `${t.from}->${t.to} (${t.why})`).join(', ')}`).to.deep.equal(states);
}
