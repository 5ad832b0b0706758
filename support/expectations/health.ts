import { expect } from 'chai';
import type { HealthStatus } from '../clients/contract';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';

const HTTP_STATUS: Record<HealthStatus, number> = { healthy: 200, warning: 200, critical: 503 };

/** /health reports one of `expected` (with the HTTP status that goes with it) within `within` ms. */
export async function expectHealth(client: ServiceClient, expected: HealthStatus[], within: number): Promise<void> {
  await eventually(async () => {
    const health = await client.health();
    expect(health.body.poolStatus, `${client.service} health (${health.body.notes?.join('; ')})`).to.be.oneOf(expected);
    expect(health.status, `${client.service} /health HTTP status`).to.equal(HTTP_STATUS[health.body.poolStatus]);
  }, { within });
}

/** The transition history records a move to `degraded` and, after it, back to healthy. */
export async function expectHealthRecovered(client: ServiceClient, degraded: HealthStatus): Promise<void> {
  const { transitions } = (await client.poolSnapshot()).health;
  const wentDown = transitions.findIndex((t) => t.to === degraded);
  expect(wentDown, `a transition to ${degraded} in ${JSON.stringify(transitions)}`).to.be.at.least(0);
  const cameBack = transitions.slice(wentDown + 1).some((t) => t.to === 'healthy');
  expect(cameBack, `a transition back to healthy after going ${degraded}`).to.equal(true);
}
