import { expect } from 'chai';
import { countByStatus, type Outcome } from '../clients/outcome';
import type { OutageFigures } from '../tasks/database-outage';
import type { ServiceName } from '../system-under-test';
import type { ServiceTarget } from '../targets/service-target';
import { expectBackpressureOfAny } from './backpressure';

/** Requests each service answers while the database is down before the outage is judged. */
export const ANSWERED_WHILE_DOWN = 5;
/**
 * How much later than saying healthy a service may first serve again: a request's round trip and
 * a health-check turn on a busy machine. A breaker still open after the database is back (and
 * health said so) would show as seconds.
 */
const HEALTHY_BUT_REFUSING_LIMIT_MS = 2_000;

/** Enough requests reached the service while the database was down to judge the outage by. */
export function expectEnoughAnsweredWhileDown(service: ServiceName, answers: readonly Outcome[]): Outcome[] {
  expect(answers.length, `${service} requests answered while the database is down`).to.be.at.least(ANSWERED_WHILE_DOWN);
  return [...answers];
}

/** Every request sent while the database was down was refused at once with backpressure: the database is unavailable, or (by then) the breaker is open. */
export function expectRefusedWhileDown(answers: readonly Outcome[], target: Pick<ServiceTarget, 'refusals' | 'settings'>): Record<string, number> {
  for (const outcome of answers) expectBackpressureOfAny(outcome, ['databaseDown', 'breakerOpen'], target.refusals, target.settings);
  return countByStatus(answers);
}

/** Each service served a request sent after PostgreSQL was back, and said healthy, within the limit. */
export function expectServicesRecovered(figures: OutageFigures, services: readonly ServiceName[], withinMs: number): void {
  for (const service of services) {
    const recovery = figures.recovery[service];
    expect(recovery, `${service} was watched after PostgreSQL came back`).to.not.equal(undefined);
    expect(recovery!.healthyAgainMs, `${service} /health saying healthy within ${withinMs} ms of PostgreSQL being back; its latest answer: ${recovery!.latestAnswer}`).to.be.a('number').and.at.most(withinMs);
    expect(recovery!.servingAgainMs, `${service} serving a request sent after PostgreSQL is back, within ${withinMs} ms; its latest answer: ${recovery!.latestAnswer}`).to.be.a('number').and.at.most(withinMs);
  }
}

/** No service said healthy while it still refused the work it is there for. */
export function expectNoHealthyRefusals(figures: OutageFigures, services: readonly ServiceName[]): void {
  for (const service of services) {
    const times = figures.recovery[service];
    if (!times || times.servingAgainMs === undefined || times.healthyAgainMs === undefined) throw new Error(`${service} was not seen recovering in this scenario`);
    expect(times.servingAgainMs - times.healthyAgainMs, `${service}: ms from saying healthy to serving again (${JSON.stringify(times)})`).to.be.at.most(HEALTHY_BUT_REFUSING_LIMIT_MS);
  }
}
