import { expect } from 'chai';
import { connectAudit } from './connection-audit';
import { describeAnswer, describeOutcome, type Outcome } from '../clients/outcome';
import type { DatabaseServer } from '../environment';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';

/** Requests each service answers before the database is stopped: the load is really under way. */
const ANSWERED_BEFORE_STOP = 3;
/**
 * The gap a quick caller leaves after each answer: refusals come back in about a millisecond, and
 * unpaced callers would send thousands a second. About 50 a second per service keeps the timing fine.
 */
const QUICK_CALLER_GAP_MS = 20;

/** Per service, from PostgreSQL being back to the first request sent after it that succeeded, and to /health saying healthy. */
export interface ServiceRecovery {
  servingAgainMs: number | undefined;
  healthyAgainMs: number | undefined;
  /** The service's latest answer when the measurement ended, for a failure message. */
  latestAnswer: string;
}

export interface OutageFigures {
  /** Whether quick requests kept coming to every service through the outage. */
  underLoad: boolean;
  stoppedAt: number;
  /** How long PostgreSQL's fast shutdown took. */
  stopMs: number;
  startedAt: number | undefined;
  startMs: number | undefined;
  recovery: Partial<Record<ServiceName, ServiceRecovery>>;
  /** Answers to requests sent while the database was down, by service and status. */
  whileDown: Partial<Record<ServiceName, Record<string, number>>>;
}

const outages = new ScenarioState<{ figures: OutageFigures; stopCallers: () => Promise<void> }>('PostgreSQL was not stopped');

/** The outage's figures, for later steps and the report. */
export function outageOf(world: PoolWorld): OutageFigures {
  return outages.of(world).figures;
}

export function databaseServerOf(world: PoolWorld): DatabaseServer {
  const server = world.system.platform.databaseServer;
  if (!server) throw new Error('this deployment does not let the suite stop and start PostgreSQL');
  return server;
}

/** The label quick requests to a service are tracked under. */
const quickLabel = (service: ServiceName): string => `quick:${service}`;

/** One cheap request that needs the service's database: the one its description names (the backend's read, the auth service's login). */
export function quickRequestFor(world: PoolWorld, service: ServiceName): () => Promise<Outcome> {
  const target = world.target(service);
  return () => target.sendRequest();
}

/**
 * Stops PostgreSQL (a fast shutdown: every connection ended). Under load, each service first gets
 * one quick request after another, and the callers go on through the outage and the recovery,
 * every request tracked so the After hook waits for each. If the scenario fails before starting it
 * again, a cleanup does, so the rest of the run has its database.
 */
export async function stopDatabase(world: PoolWorld, { underLoad }: { underLoad: boolean }): Promise<OutageFigures> {
  const server = databaseServerOf(world);
  const services = underLoad ? world.services : [];
  const requests = services.map((service) => quickRequestFor(world, service));
  let stopped = false;
  const callers = services.map(async (service, index) => {
    while (!stopped) {
      await world.operations.forService(service).start(quickLabel(service), requests[index]!).result;
      await new Promise((resolve) => setTimeout(resolve, QUICK_CALLER_GAP_MS));
    }
  });
  const stopCallers = async (): Promise<void> => {
    stopped = true;
    await Promise.all(callers);
  };
  world.onCleanup(async () => {
    await stopCallers();
    if (!server.running) await server.start();
  });
  await eventually(() => {
    for (const service of services) {
      const answered = world.operations.labelled(quickLabel(service)).filter((op) => op.outcome !== undefined && world.target(service).succeeded(op.outcome)).length;
      expect(answered, `${service} quick requests served before the outage`).to.be.at.least(ANSWERED_BEFORE_STOP);
    }
  });
  const stoppedAt = Date.now();
  await server.stop();
  world.timeline?.markPhase('PostgreSQL down', 'fault', stoppedAt, Date.now());
  const figures: OutageFigures = { underLoad, stoppedAt, stopMs: Date.now() - stoppedAt, startedAt: undefined, startMs: undefined, recovery: {}, whileDown: {} };
  outages.set(world, { figures, stopCallers });
  return figures;
}

/** Answers to the requests a service was sent after PostgreSQL had stopped and before it started again. */
export function answersWhileDown(world: PoolWorld, service: ServiceName): Outcome[] {
  const figures = outageOf(world);
  const downFrom = figures.stoppedAt + figures.stopMs;
  return world.operations
    .labelled(quickLabel(service))
    .filter((op) => op.startedAt >= downFrom && (figures.startedAt === undefined || op.startedAt < figures.startedAt) && op.outcome)
    .map((op) => op.outcome!);
}

export async function startDatabaseAgain(world: PoolWorld): Promise<void> {
  const figures = outageOf(world);
  const startedAt = Date.now();
  await databaseServerOf(world).start();
  figures.startedAt = startedAt;
  figures.startMs = Date.now() - startedAt;
  world.timeline?.markPhase('PostgreSQL starting', 'fault', startedAt, Date.now());
  // The audit's own connection went with the server.
  await connectAudit(world);
}

/**
 * Watches each service, without restarting it, until it serves a request sent after PostgreSQL
 * came back and says healthy, or `withinMs` has passed; then the quick requests stop. Records the
 * times from the moment PostgreSQL was back, or none when they did not come.
 */
export async function watchRecoveryAfterOutage(world: PoolWorld, withinMs: number): Promise<OutageFigures> {
  const figures = outageOf(world);
  const backAt = figures.startedAt! + figures.startMs!;
  const deadline = backAt + withinMs;
  await Promise.all(
    world.services.map(async (service) => {
      const recovery: ServiceRecovery = { servingAgainMs: undefined, healthyAgainMs: undefined, latestAnswer: 'none' };
      figures.recovery[service] = recovery;
      while (Date.now() < deadline && (recovery.healthyAgainMs === undefined || recovery.servingAgainMs === undefined)) {
        if (recovery.healthyAgainMs === undefined) {
          const health = await world.target(service).health();
          if (health.status === 'healthy') recovery.healthyAgainMs = health.answer.finishedAt - backAt;
          else recovery.latestAnswer = `health check ${describeOutcome(health.answer)} ${JSON.stringify(health.answer.body)}`;
        } else {
          // Under load, a quick request the callers sent after the database was back; otherwise one sent now.
          const target = world.target(service);
          const op = world.operations.labelled(quickLabel(service)).find((o) => o.startedAt >= backAt && o.outcome !== undefined && target.succeeded(o.outcome));
          let outcome = op?.outcome;
          if (!outcome && !figures.underLoad) outcome = await world.operations.forService(service).start(quickLabel(service), quickRequestFor(world, service)).result;
          if (outcome && target.succeeded(outcome)) recovery.servingAgainMs = outcome.finishedAt - backAt;
          const latest = world.operations.labelled(quickLabel(service)).findLast((o) => o.outcome)?.outcome ?? outcome;
          recovery.latestAnswer = latest ? describeAnswer(latest) : 'none';
        }
        if (recovery.healthyAgainMs === undefined || recovery.servingAgainMs === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
  await outages.of(world).stopCallers();
  return figures;
}
