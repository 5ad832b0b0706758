import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import { describeEvidence } from '../targets/evidence';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { holdConnections } from './hold-connections';
import { startQuickRequests } from './requests';
import type { PoolWorld } from '../world';

/** The pool's places as a burst left them: connections in use and requests queued, per channel the service reports through. */
export type QueuePlaces = Record<string, { active: number | undefined; waiting: number }>;

/** One burst's answers: the holders', the requests', and the places the requests took in the pool. */
export interface BurstAnswers {
  holders: readonly Outcome[];
  requests: readonly Outcome[];
  /** Undefined when the service reports no waiting count. */
  places: QueuePlaces | undefined;
}

/** One burst of requests at once against a saturated pool: who held, who asked, and the places they took. */
export interface Burst {
  holderLabel: string;
  requestLabel: string;
  /** Undefined when the service reports no waiting count. */
  places: QueuePlaces | undefined;
}

const bursts = new ScenarioState<Burst[]>('no burst of requests', () => []);

export function burstsOf(world: PoolWorld): Burst[] {
  return bursts.of(world);
}

/**
 * `count` requests at once, then the places they took once the pool has sorted them (each is answered
 * — refused at once — or waiting): read in every channel the service reports through. A target that
 * reports no waiting count gives no places (undefined): the burst still runs and its answers are judged.
 */
export async function sendBurst(world: PoolWorld, service: ServiceName, count: number, labels: { holders: string; requests: string }): Promise<Burst> {
  startQuickRequests(world, service, count, labels.requests);
  const requests = world.operations.labelled(labels.requests);
  const target = world.target(service);
  const readingsOf = async () => {
    const own = await target.ownReports();
    return own.length > 0 ? own : [await world.pool(service)];
  };
  const reportsWaiting = (await readingsOf()).every((reading) => reading.waiting !== undefined);
  const places = !reportsWaiting
    ? undefined
    : await eventually(async () => {
        const answered = requests.filter((op) => op.outcome).length;
        const byChannel: QueuePlaces = {};
        for (const reading of await readingsOf()) {
          const waiting = reading.waiting!;
          expect(answered + waiting, `${service} requests of the burst answered at once or waiting, in its ${describeEvidence(reading.evidence)}`).to.equal(count);
          byChannel[describeEvidence(reading.evidence)] = { active: reading.active, waiting };
        }
        return byChannel;
      });
  const burst = { holderLabel: labels.holders, requestLabel: labels.requests, places };
  burstsOf(world).push(burst);
  return burst;
}

/** The same burst once more: `holders` operations hold a connection for `hold`, then `count` requests arrive at once. */
export async function repeatBurst(world: PoolWorld, service: ServiceName, holders: number, hold: Duration, count: number): Promise<Burst> {
  const round = burstsOf(world).length + 1;
  const labels = { holders: `holder (round ${round})`, requests: `request (round ${round})` };
  await holdConnections(world, service, holders, hold, labels.holders);
  return sendBurst(world, service, count, labels);
}

/** A burst's answers, once all have come: the holders', the requests', and the places the requests took. */
export async function answersOf(world: PoolWorld, burst: Burst): Promise<BurstAnswers> {
  return { holders: await world.operations.settled(burst.holderLabel), requests: await world.operations.settled(burst.requestLabel), places: burst.places };
}
