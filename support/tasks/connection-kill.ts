import { expect } from 'chai';
import { countByStatus } from '../clients/outcome';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { KILL_RECOVERY_LIMIT_MS } from '../timeouts';
import type { PoolWorld } from '../world';

/** Two callers, each sending its next quick request as soon as the last one is answered: bounded load on 127.0.0.1. */
const QUICK_CALLERS = 2;
/** Quick requests answered before the kill: the load is really under way when it strikes. */
const ANSWERED_BEFORE_KILL = 4;

export interface KillFigures {
  service: ServiceName;
  /** Server connections PostgreSQL terminated (checked-out and idle). */
  terminated: number;
  killedAt: string;
  /** From the kill to the first quick request sent after it that succeeded. */
  servingAgainMs: number;
  /**
   * From the kill to the first /health answer that said healthy, if one came before the service
   * served again (a connection a buggy handler still holds keeps health at warning until reclaimed).
   */
  healthyAgainMs: number | null;
  /** /health answers seen while the fault lasted, by HTTP status (0: no answer). */
  healthAnswers: Record<string, number>;
  /** Every request of the scenario, by HTTP status. */
  answers: Record<string, number>;
}

/** /health answers to collect after the kill before survival is judged (about a second's worth). */
const MIN_HEALTH_SAMPLES = 10;

/** What the kill scenario measured. */
const kills = new ScenarioState<KillFigures>('no connections were terminated');

export function killOf(world: PoolWorld): KillFigures {
  return kills.of(world);
}

/**
 * While quick requests keep coming (and whatever holders the scenario started hold their
 * connections), PostgreSQL terminates every server connection of the service. The quick load and
 * a /health watch go on until the service serves a request sent after the kill and says healthy,
 * or the recovery limit passes; every request stays tracked, so the After hook waits for each.
 */
export async function terminateConnectionsUnderLoad(world: PoolWorld, service: ServiceName): Promise<KillFigures> {
  const target = world.target(service);
  const audit = world.requireAudit();
  let stopped = false;
  const callers = Array.from({ length: QUICK_CALLERS }, async () => {
    while (!stopped) await world.operations.forService(service).start('quick', () => target.sendRequest()).result;
  });
  try {
    await eventually(() => {
      expect(world.operations.labelled('quick').filter((op) => op.outcome).length, 'quick requests answered before the kill').to.be.at.least(ANSWERED_BEFORE_KILL);
    });
    const killedAt = Date.now();
    const terminated = await audit.terminateConnectionsOf(target.applicationName);
    world.timeline?.markPhase(`pg_terminate_backend of ${terminated} ${service} connections`, 'fault', killedAt, killedAt + 1);
    const healthAnswers: Record<string, number> = {};
    let healthyAt: number | undefined;
    let servingAt: number | undefined;
    await eventually(async () => {
      const health = await target.health();
      healthAnswers[health.answer.status] = (healthAnswers[health.answer.status] ?? 0) + 1;
      if (healthyAt === undefined && health.status === 'healthy') healthyAt = health.answer.finishedAt;
      const served = world.operations.labelled('quick').find((op) => op.startedAt > killedAt && op.outcome !== undefined && target.succeeded(op.outcome));
      if (servingAt === undefined && served) servingAt = served.outcome!.finishedAt;
      const healthSamples = Object.values(healthAnswers).reduce((sum, n) => sum + n, 0);
      // Survival needs evidence: the service serves again, and its health check was asked (and counted) throughout.
      expect(servingAt !== undefined && healthSamples >= MIN_HEALTH_SAMPLES, `${service} serving again after the kill`).to.equal(true);
    }, { within: KILL_RECOVERY_LIMIT_MS, every: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}; /health answers since the kill by status: ${JSON.stringify(healthAnswers)}`);
    });
    const figures: KillFigures = {
      service,
      terminated,
      killedAt: new Date(killedAt).toISOString(),
      servingAgainMs: servingAt! - killedAt,
      healthyAgainMs: healthyAt === undefined ? null : healthyAt - killedAt,
      healthAnswers,
      answers: {},
    };
    kills.set(world, figures);
    return figures;
  } finally {
    stopped = true;
    await Promise.all(callers);
  }
}

/** Counts every answer of the scenario by status and adds them to the figures. */
export async function countKillAnswers(world: PoolWorld): Promise<KillFigures> {
  const figures = killOf(world);
  figures.answers = countByStatus(await world.operations.settled());
  return figures;
}

