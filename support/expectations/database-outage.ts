import { expect } from 'chai';
import { AuthClient } from '../clients/auth-client';
import { countByStatus, describeOutcome, type Outcome } from '../clients/outcome';
import type { DatabaseServer } from '../environment';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { expectBackpressure } from './backpressure';
import { expectHealth } from './health';
import { PerScenario } from '../per-scenario';

/**
 * How long the services may take to serve again once PostgreSQL is back: the probe reconnects at
 * once, but a breaker opened by the outage lets its first probe through only after its half-open
 * delay (5 s by default). Generous for a busy 2-core machine.
 */
export const OUTAGE_RECOVERY_LIMIT_MS = 30_000;
/** Requests each service answers while the database is down before the outage is judged. */
const ANSWERED_WHILE_DOWN = 5;
/** Requests each service answers before the database is stopped: the load is really under way. */
const ANSWERED_BEFORE_STOP = 3;
/**
 * The gap a quick caller leaves after each answer: refusals come back in about a millisecond, and
 * unpaced callers would send thousands a second. About 50 a second per service keeps the timing fine.
 */
const QUICK_CALLER_GAP_MS = 20;

export interface OutageFigures {
  /** Whether quick requests kept coming to every service through the outage. */
  underLoad: boolean;
  stoppedAt: number;
  /** How long PostgreSQL's fast shutdown took. */
  stopMs: number;
  startedAt: number | undefined;
  startMs: number | undefined;
  /** Per service, from PostgreSQL being back to the first request sent after it that succeeded, and to /health saying healthy. */
  recovery: Partial<Record<ServiceName, { servingAgainMs: number; healthyAgainMs: number }>>;
  /** Answers to requests sent while the database was down, by service and status. */
  whileDown: Partial<Record<ServiceName, Record<string, number>>>;
}

const outages = new PerScenario<{ figures: OutageFigures; stopCallers: () => Promise<void> }>('PostgreSQL was not stopped');

/** The outage's figures, for later steps and the report. */
export function outageOf(world: PoolWorld): OutageFigures {
  return outages.of(world).figures;
}

export function databaseServerOf(world: PoolWorld): DatabaseServer {
  const server = world.system.deployment.databaseServer;
  if (!server) throw new Error('this deployment does not let the suite stop and start PostgreSQL');
  return server;
}

/** The label quick requests to a service are tracked under. */
const quickLabel = (service: ServiceName): string => `quick:${service}`;

/** One cheap request that needs the service's database: backend work, or auth's "who am I" (a user read). */
async function quickRequestFor(world: PoolWorld, service: ServiceName): Promise<() => Promise<Outcome>> {
  const client = world.client(service);
  if (service === 'backend') return () => client.work('fast');
  const auth = new AuthClient(client);
  const token = await auth.token();
  return () => auth.me(token);
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
  const requests = await Promise.all(services.map((service) => quickRequestFor(world, service)));
  let stopped = false;
  const callers = services.map(async (service, index) => {
    while (!stopped) {
      await world.operations.start(quickLabel(service), requests[index]!).result;
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
      const answered = world.operations.labelled(quickLabel(service)).filter((op) => op.outcome?.status === 200).length;
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

/** Requests to a service sent after PostgreSQL had stopped and before it started again. */
function sentWhileDown(world: PoolWorld, service: ServiceName, figures: OutageFigures): Outcome[] {
  const downFrom = figures.stoppedAt + figures.stopMs;
  return world.operations
    .labelled(quickLabel(service))
    .filter((op) => op.startedAt >= downFrom && (figures.startedAt === undefined || op.startedAt < figures.startedAt) && op.outcome)
    .map((op) => op.outcome!);
}

/** While the database is down every service answers /health as critical (503), and no request hangs. */
export async function expectCriticalWhileDown(world: PoolWorld): Promise<void> {
  for (const service of world.services) await expectHealth(world.client(service), ['critical'], WAIT.settle);
}

/** Every request sent while the database was down was refused with 503 and Retry-After, naming the database or the open breaker. */
export async function expectRefusedWhileDown(world: PoolWorld): Promise<Partial<Record<ServiceName, Record<string, number>>>> {
  const figures = outageOf(world);
  for (const service of world.services) {
    const answers = await eventually(() => {
      const answers = sentWhileDown(world, service, figures);
      expect(answers.length, `${service} requests answered while the database is down`).to.be.at.least(ANSWERED_WHILE_DOWN);
      return answers;
    }, { within: WAIT.settle });
    for (const outcome of answers) {
      const problem = expectBackpressure(outcome, 503);
      expect(problem.type, `${service} while the database is down: why the request was refused`).to.be.oneOf(['/problems/database-unavailable', '/problems/circuit-open']);
    }
    figures.whileDown[service] = countByStatus(answers);
  }
  return figures.whileDown;
}

export async function startDatabaseAgain(world: PoolWorld): Promise<void> {
  const figures = outageOf(world);
  const startedAt = Date.now();
  await databaseServerOf(world).start();
  figures.startedAt = startedAt;
  figures.startMs = Date.now() - startedAt;
  world.timeline?.markPhase('PostgreSQL starting', 'fault', startedAt, Date.now());
  // The audit's own connection went with the server.
  await world.connectAudit();
}

/**
 * Each service, without being restarted, serves a request sent after PostgreSQL came back and says
 * healthy, within the limit; then the quick requests stop. Times are from the moment it was back.
 */
export async function expectServicesRecovered(world: PoolWorld, withinMs: number): Promise<OutageFigures> {
  const figures = outageOf(world);
  const backAt = figures.startedAt! + figures.startMs!;
  await Promise.all(
    world.services.map(async (service) => {
      const healthyAt = await eventually(async () => {
        const health = await world.client(service).health();
        expect(health.body?.poolStatus, `${service} /health after PostgreSQL is back: ${JSON.stringify(health.body)}`).to.equal('healthy');
        return health.finishedAt;
      }, { within: withinMs, every: 100 });
      const served = await eventually(async () => {
        // Under load, a quick request the callers sent after the database was back; otherwise one sent now.
        const op = world.operations.labelled(quickLabel(service)).find((o) => o.startedAt >= backAt && o.outcome?.status === 200);
        const outcome = op?.outcome ?? (figures.underLoad ? undefined : await (await quickRequestFor(world, service))());
        const latest = world.operations.labelled(quickLabel(service)).findLast((o) => o.outcome)?.outcome;
        expect(outcome?.status, `${service} serving a request sent after PostgreSQL is back; its latest answer: ${latest ? `${describeOutcome(latest)} ${JSON.stringify(latest.body)}` : 'none'}`).to.equal(200);
        return outcome!.finishedAt;
      }, { within: Math.max(0, backAt + withinMs - Date.now()), every: 100 });
      figures.recovery[service] = { servingAgainMs: served - backAt, healthyAgainMs: healthyAt - backAt };
    }),
  );
  await outages.of(world).stopCallers();
  return figures;
}

/**
 * How much later than saying healthy a service may first serve again: a request's round trip and
 * a health-check turn on a busy machine. A breaker still open after the database is back (and
 * health said so) would show as seconds.
 */
const HEALTHY_BUT_REFUSING_LIMIT_MS = 2_000;

/** No service said healthy while it still refused the work it is there for. */
export function expectNoHealthyRefusals(world: PoolWorld): void {
  const { recovery } = outageOf(world);
  for (const service of world.services) {
    const times = recovery[service];
    if (!times) throw new Error(`${service} was not seen recovering in this scenario`);
    expect(times.servingAgainMs - times.healthyAgainMs, `${service}: ms from saying healthy to serving again (${JSON.stringify(times)})`).to.be.at.most(HEALTHY_BUT_REFUSING_LIMIT_MS);
  }
}

/** The test user still signs in: the auth service reads the same data it had before the restart. */
export async function expectTestUserSignsIn(world: PoolWorld): Promise<void> {
  await new AuthClient(world.client('auth')).token();
}
