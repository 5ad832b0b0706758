import { expect } from 'chai';
import type { HealthStatus, PoolSnapshot } from '../clients/contract';
import type { HealthAnswer } from '../clients/service-client';

const HTTP_STATUS: Record<HealthStatus, number> = { healthy: 200, warning: 200, critical: 503 };

/** /health reports one of `expected`, with the HTTP status that goes with it. */
export function expectHealth(service: string, answer: HealthAnswer, expected: HealthStatus[]): void {
  expect(answer.body?.poolStatus, `${service} health (${answer.body?.notes?.join('; ')})`).to.be.oneOf(expected);
  expect(answer.status, `${service} /health HTTP status`).to.equal(HTTP_STATUS[answer.body.poolStatus]);
}

/** The transition history records a move to `degraded` and, after it, back to healthy. */
export function expectHealthRecovered({ health }: PoolSnapshot, degraded: HealthStatus): void {
  const { transitions } = health;
  const wentDown = transitions.findIndex((t) => t.to === degraded);
  expect(wentDown, `a transition to ${degraded} in ${JSON.stringify(transitions)}`).to.be.at.least(0);
  const cameBack = transitions.slice(wentDown + 1).some((t) => t.to === 'healthy');
  expect(cameBack, `a transition back to healthy after going ${degraded}`).to.equal(true);
}
