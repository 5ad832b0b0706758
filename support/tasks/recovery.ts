import { expect } from 'chai';
import type { RecoveryReport, ResetAnswer } from '../clients/contract';
import { describeAnswer } from '../clients/outcome';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';
import { untilHealth } from './health';
import { changeSettings } from './settings';

/**
 * What a recovery scenario (test case 7) marks and measures: when it began (records older than
 * that belong to other scenarios), and the pool as it was before the trouble.
 */
export class RecoveryMarks {
  /** Epoch ms after which the service's recovery records belong to this scenario. */
  since = Date.now();
  before: PoolReading | undefined;
  /** The service whose recovery the scenario set. */
  service: ServiceName | undefined;
  /** When the service went critical, by the suite's health checks (epoch ms). */
  criticalAt: number | undefined;
}

const marks = new ScenarioState('no recovery scenario', () => new RecoveryMarks());

export function recoveryOf(world: PoolWorld): RecoveryMarks {
  return marks.of(world);
}

/** The service's recovery and breaker tuning for this scenario (what it lacks, it runs with its own: noted). */
export async function configureRecovery(world: PoolWorld, service: ServiceName, change: { recoverAfter?: Duration; longStatementLimit?: Duration; breakerFailures?: number; breakerHalfOpenAfter?: Duration }): Promise<void> {
  await changeSettings(world, service, change);
  const scenario = recoveryOf(world);
  scenario.since = Date.now();
  scenario.before = await world.target(service).poolState();
  scenario.service = service;
}

/** The service whose recovery the scenario set. */
export function recoveringService(world: PoolWorld): ServiceName {
  const { service } = recoveryOf(world);
  if (!service) throw new Error("the scenario did not set any service's recovery");
  return service;
}

/**
 * Waits until the open breaker would let a probe through: by the service's own report where it
 * gives one, or else once the half-open time the scenario set has passed since the last refusal.
 */
export async function untilBreakerMayProbe(world: PoolWorld, service: ServiceName, lastRefusalAt: number): Promise<void> {
  const report = world.target(service).abilities.recoveryReport;
  if (report) {
    const halfOpenAfterMs = (await report()).settings.breakerHalfOpenAfterSeconds * 1000;
    await eventually(async () => {
      const breaker = (await report()).circuitBreaker;
      expect(breaker.state, `${service} circuit breaker`).to.equal('open');
      expect(breaker.retryInMs, `${service} circuit breaker: ms until it lets a probe through`).to.equal(0);
    }, { within: halfOpenAfterMs + WAIT.shortly });
    return;
  }
  const halfOpen = world.settingsOf(service).breakerHalfOpenAfter;
  if (!halfOpen) throw new NotOffered('when the breaker lets a probe through', `${world.target(service).label} neither reports its breaker (abilities.recoveryReport) nor takes the scenario's half-open time`);
  const wait = lastRefusalAt + halfOpen.ms + 200 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** The emergency reset, by an operator (the service's ability); answers what it did. */
export async function resetPool(world: PoolWorld, service: ServiceName): Promise<ResetAnswer> {
  const outcome = await world.ability(service, 'emergencyReset')();
  expect(outcome.status, `the emergency reset: ${describeAnswer(outcome)}`).to.equal(200);
  return outcome.body as ResetAnswer;
}

/**
 * The recovery report once a pass that began in this scenario has finished. Health can turn
 * healthy while the pass still waits for it to settle, before it records its last attempt.
 */
export async function finishedRecoveryPass(world: PoolWorld, service: ServiceName, since: number): Promise<RecoveryReport> {
  const report = world.ability(service, 'recoveryReport');
  return eventually(async () => {
    const now = await report();
    const began = now.lastPass ? Date.parse(now.lastPass.startedAt) : Number.NaN;
    expect(began >= since, `${service} finished a recovery pass in this scenario (last pass: ${JSON.stringify(now.lastPass ?? null)})`).to.equal(true);
    return now;
  }, { within: WAIT.settle, every: 100 });
}

/**
 * When the service went critical and when it was healthy again: from its own health history where
 * it keeps one (abilities.healthHistory), else from its health check asked until it says healthy
 * (within `limit`) and the suite's own health samples for when it went critical. The earliest it may
 * heal: once stuck as long as the scenario told it to wait before recovering (0 where it has no
 * such setting).
 */
export async function healedTimes(world: PoolWorld, service: ServiceName, limit: Duration): Promise<{ criticalAt: number; healthyAt: number; earliestMs: number; evidence: string }> {
  const { since } = recoveryOf(world);
  const target = world.target(service);
  const recoverAfter = target.settings.recoverAfter;
  const earliestMs = recoverAfter && target.knobs.of.recoverAfter.kind === 'settable' ? recoverAfter.ms : 0;
  const healthy = await untilHealth(world, service, ['healthy'], limit.ms);
  const history = target.abilities.healthHistory;
  if (history) {
    const transitions = (await world.ability(service, 'healthHistory')()).filter((t) => Date.parse(t.at) >= since);
    const critical = transitions.findLast((t) => t.to === 'critical');
    const back = critical && transitions.find((t) => t.to === 'healthy' && t.at >= critical.at);
    if (critical && back) return { criticalAt: Date.parse(critical.at), healthyAt: Date.parse(back.at), earliestMs, evidence: "the service's own health history" };
  }
  const critical = world.timeline!.liveness.samples.find((s) => s.service === service && s.at >= since && s.poolStatus === 'critical');
  return { criticalAt: critical?.at ?? Number.NaN, healthyAt: healthy.status === 'healthy' ? healthy.answer.finishedAt : Number.POSITIVE_INFINITY, earliestMs, evidence: "the suite's health checks" };
}

/** Reads the pool until it is back to normal (nothing in use or waiting), or `withinMs` passed: the last reading. */
export async function untilPoolNormal(world: PoolWorld, service: ServiceName, withinMs: number): Promise<PoolReading> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const reading = await world.pool(service);
    if ((reading.active === 0 && (reading.waiting ?? 0) === 0 && (reading.health ?? 'healthy') === 'healthy') || Date.now() >= deadline) return reading;
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
  }
}
