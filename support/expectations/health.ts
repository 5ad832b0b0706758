import { expect } from 'chai';
import type { HealthStatus, HealthTransition } from '../clients/contract';
import { describeOutcome } from '../clients/outcome';
import type { LivenessSample } from '../monitoring/liveness';
import type { HealthReading } from '../targets/service-target';

/** The health check says one of `expected` (with the HTTP status the service's convention gives it, where it has one). */
export function expectHealth(service: string, reading: HealthReading, expected: HealthStatus[]): void {
  expect(reading.status, `${service} health (${describeOutcome(reading.answer)}: ${JSON.stringify(reading.answer.body)?.slice(0, 300)})`).to.be.oneOf(expected);
  if (reading.expectedHttpStatus !== undefined) expect(reading.answer.status, `${service} health check's HTTP status`).to.equal(reading.expectedHttpStatus);
}

/** Since `since` (epoch ms), the service's own transition history records a move to `degraded` and, after it, back to healthy. */
export function expectTransitionsWentAndRecovered(service: string, transitions: readonly HealthTransition[], since: number, degraded: HealthStatus): number {
  const mine = transitions.filter((t) => Date.parse(t.at) >= since);
  const wentDown = mine.findIndex((t) => t.to === degraded);
  expect(wentDown, `${service}: a transition to ${degraded} in this scenario, among ${JSON.stringify(mine)} (${transitions.length - mine.length} earlier ones not counted)`).to.be.at.least(0);
  const cameBack = mine.slice(wentDown + 1).some((t) => t.to === 'healthy');
  expect(cameBack, `${service}: a transition back to healthy after going ${degraded}, among ${JSON.stringify(mine)}`).to.equal(true);
  return mine.length;
}

/** Since `since` (epoch ms), the health checks the suite sampled said `degraded`, and later healthy. */
export function expectSampledWentAndRecovered(service: string, samples: readonly LivenessSample[], since: number, degraded: HealthStatus): number {
  const words = samples.filter((s) => s.service === service && s.at >= since).map((s) => s.poolStatus);
  const wentDown = words.indexOf(degraded);
  expect(wentDown, `${service}: a health check saying ${degraded} among the ${words.length} sampled in this scenario`).to.be.at.least(0);
  expect(words.slice(wentDown + 1), `${service}: a health check saying healthy after ${degraded}`).to.include('healthy');
  return words.length;
}
