import type { Outcome } from '../clients/outcome';
import type { TrackedOperation } from '../load/operations';
import type { PoolReading } from '../targets/service-target';
import type { Duration } from '../duration';
import type { ServiceName } from '../system-under-test';
import { ScenarioState } from '../scenario-state';
import { required } from '../targets/not-offered';
import { WAIT } from '../timeouts';
import { eventually } from '../eventually';
import { describeEvidence } from '../targets/evidence';
import type { PoolWorld } from '../world';

/**
 * Requests that need a database connection (the target's own: a short query), sent in the
 * background and tracked (the After hook waits for each).
 */

/** `count` requests at once. */
export function startQuickRequests(world: PoolWorld, service: ServiceName, count: number, label: string): void {
  const target = world.target(service);
  const operations = world.operations.forService(service);
  for (let i = 0; i < count; i++) operations.start(label, () => target.sendRequest());
}

/** `count` requests, one every `gap`: a queue whose members arrive at different moments, so each has its own deadline. */
export async function startQuickRequestsSpread(world: PoolWorld, service: ServiceName, count: number, gap: Duration, label: string): Promise<void> {
  const target = world.target(service);
  const operations = world.operations.forService(service);
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, gap.ms));
    operations.start(label, () => target.sendRequest());
  }
}

/** One more request that needs a connection. */
export function startExtraRequest(world: PoolWorld, service: ServiceName): void {
  startQuickRequests(world, service, 1, 'extra');
}

/** One request, tracked like every other, answered before this returns. */
export function trackedRequest(world: PoolWorld, service: ServiceName, label: string): Promise<Outcome> {
  const target = world.target(service);
  return world.operations.forService(service).start(label, () => target.sendRequest()).result;
}

/** How long each queued operation holds its connection once served (queueOneAfterAnother with a hold). */
const queuedHolds = new ScenarioState<{ hold: Duration }>('no operations queued with a hold');

export function queuedHoldOf(world: PoolWorld): Duration {
  return queuedHolds.of(world).hold;
}

/** The number of requests waiting for a connection, as the service counts them. */
export async function waitingNow(world: PoolWorld, service: ServiceName): Promise<number> {
  const reading = await world.target(service).poolState();
  return required(reading.waiting, 'the number of requests waiting for a connection', `${world.target(service).label} does not report it (pg_stat_activity cannot see a request that has no connection yet)`);
}

/** Polls until the service counts at least `count` waiting requests. */
async function untilWaiting(world: PoolWorld, service: ServiceName, count: number, exactly: boolean): Promise<void> {
  const deadline = Date.now() + WAIT.shortly;
  for (;;) {
    const waiting = await waitingNow(world, service);
    if (exactly ? waiting === count : waiting >= count) return;
    if (Date.now() >= deadline) throw new Error(`${service} requests waiting: ${waiting}, expected ${exactly ? '' : 'at least '}${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `count` requests sent one at a time, each only once the pool counts the previous one as waiting:
 * their arrival order is then known from the service's own count, not from luck. With `hold`, each
 * holds its connection that long once it is served (the target's hold request).
 */
export async function queueOneAfterAnother(world: PoolWorld, service: ServiceName, count: number, label: string, hold?: Duration): Promise<void> {
  const target = world.target(service);
  if (hold) queuedHolds.set(world, { hold });
  const operations = world.operations.forService(service);
  const waitingBefore = await waitingNow(world, service);
  for (let i = 1; i <= count; i++) {
    if (hold) await target.startHold(operations, hold, label);
    else operations.start(label, () => target.sendRequest());
    await untilWaiting(world, service, waitingBefore + i, true);
  }
}

/** `count` more requests that need a connection, started in the background; returns once they wait. */
export async function queueRequests(world: PoolWorld, service: ServiceName, count: number): Promise<void> {
  const waitingBefore = await waitingNow(world, service);
  startQuickRequests(world, service, count, 'waiting');
  await untilWaiting(world, service, waitingBefore + count, false);
}

/**
 * A reading of the pool taken while `request` was still unanswered and the pool counted someone
 * waiting (polled until then, or until the request was answered: the reading before stands).
 */
export async function readingWhileUnanswered(world: PoolWorld, service: ServiceName, request: TrackedOperation): Promise<{ reading: PoolReading; answered: boolean }> {
  const deadline = Date.now() + WAIT.shortly;
  for (;;) {
    const answered = request.outcome !== undefined;
    const reading = await world.pool(service);
    if (answered || (reading.waiting ?? 0) >= 1 || Date.now() >= deadline) return { reading, answered };
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
  }
}

/**
 * Reads the pool in every channel the service reports through itself (or, where it reports
 * nothing, from the best evidence the target gives) and judges each reading, until all pass within
 * `withinMs`; answers the channels judged.
 */
export async function judgeReadings(world: PoolWorld, service: ServiceName, judge: (reading: PoolReading) => void, withinMs: number): Promise<string[]> {
  const target = world.target(service);
  return eventually(async () => {
    const own = await target.ownReports();
    const readings = own.length > 0 ? own : [await world.pool(service)];
    for (const reading of readings) judge(reading);
    return readings.map((reading) => describeEvidence(reading.evidence));
  }, { within: withinMs });
}

/**
 * For a request that should wait in the queue: the number that waited before it was sent, a
 * reading once the pool counts it waiting (polled), what `meanwhile` measures while it waits, and a
 * reading after: the request must be waiting at both readings.
 */
export async function readingWhileQueued<T>(world: PoolWorld, service: ServiceName, request: TrackedOperation, meanwhile: () => Promise<T>): Promise<{ request: TrackedOperation; queuedBefore: number; before: PoolReading; pingMs: T; after: PoolReading }> {
  const queuedBefore = world.operations.labelled('waiting').filter((op) => !op.outcome).length;
  const deadline = Date.now() + WAIT.shortly;
  let before = await world.pool(service);
  while ((before.waiting ?? 0) < queuedBefore + 1 && !request.outcome && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
    before = await world.pool(service);
  }
  const pingMs = await meanwhile();
  return { request, queuedBefore, before, pingMs, after: await world.pool(service) };
}
