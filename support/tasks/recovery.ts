import { expect } from 'chai';
import type { RecoveryReport, RecoverySettings, ResetAnswer } from '../clients/contract';
import { describeOutcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { WAIT } from '../timeouts';
import type { PoolWorld } from '../world';

/**
 * What a recovery scenario (test case 7) marks and measures: when it began (records older than
 * that belong to other scenarios), and the pool's counters before the trouble.
 */
export class RecoveryMarks {
  /** Epoch ms after which the service's recovery records belong to this scenario. */
  since = Date.now();
  countersBefore: Record<string, number> | undefined;
  /** The service whose recovery the scenario set, and the settings it runs with for it. */
  service: ServiceName | undefined;
  settings: RecoverySettings | undefined;
}

const marks = new ScenarioState('no recovery scenario', () => new RecoveryMarks());

export function recoveryOf(world: PoolWorld): RecoveryMarks {
  return marks.of(world);
}

/** Changes the recovery settings for this scenario; the previous ones come back when it ends. */
export async function configureRecovery(world: PoolWorld, service: ServiceName, change: Partial<RecoverySettings>): Promise<void> {
  const client = world.testApi(service);
  const { settings: previous } = await client.recoveryReport();
  world.onCleanup(async () => {
    const restored = await client.configureRecovery(previous);
    expect(restored.status, `restoring the ${service} recovery settings: ${JSON.stringify(restored.body)}`).to.equal(200);
  });
  const outcome = await client.configureRecovery(change);
  expect(outcome.status, `PUT /admin/pool/recovery ${JSON.stringify(change)}: ${JSON.stringify(outcome.body)}`).to.equal(200);
  const scenario = recoveryOf(world);
  scenario.since = Date.now();
  scenario.countersBefore = (await client.poolSnapshot()).counters;
  scenario.service = service;
  scenario.settings = (outcome.body as RecoveryReport).settings;
}

/** Waits until the open breaker would let a probe through (its break time is over). */
export async function untilBreakerMayProbe(client: ServiceClient): Promise<void> {
  const halfOpenAfterMs = (await client.recoveryReport()).settings.breakerHalfOpenAfterSeconds * 1000;
  await eventually(async () => {
    const breaker = (await client.recoveryReport()).circuitBreaker;
    expect(breaker.state, `${client.service} circuit breaker`).to.equal('open');
    expect(breaker.retryInMs, `${client.service} circuit breaker: ms until it lets a probe through`).to.equal(0);
  }, { within: halfOpenAfterMs + WAIT.shortly });
}

/** The emergency reset, by an operator; answers what it did. */
export async function resetPool(client: ServiceClient): Promise<ResetAnswer> {
  const outcome = await client.resetPool();
  expect(outcome.status, `POST /admin/pool/reset: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.equal(200);
  return outcome.body as ResetAnswer;
}

/**
 * The recovery report once a pass that began in this scenario has finished. Health can turn
 * healthy while the pass still waits for it to settle, before it records its last attempt.
 */
export async function finishedRecoveryPass(client: ServiceClient, since: number): Promise<RecoveryReport> {
  return eventually(async () => {
    const report = await client.recoveryReport();
    const began = report.lastPass ? Date.parse(report.lastPass.startedAt) : Number.NaN;
    expect(began >= since, `${client.service} finished a recovery pass in this scenario (last pass: ${JSON.stringify(report.lastPass ?? null)})`).to.equal(true);
    return report;
  }, { within: WAIT.settle, every: 100 });
}
