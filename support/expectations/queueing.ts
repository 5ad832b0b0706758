import { expect } from 'chai';
import { describeOutcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';
import type { Operations, TrackedOperation } from '../load/operations';

/**
 * The request really queued: the pool counted it as waiting while it was unanswered, it then
 * succeeded, and not before the first holder gave a connection back.
 */
export async function expectQueuedThenServed(client: ServiceClient, operations: Operations, request: TrackedOperation): Promise<void> {
  await eventually(async () => {
    expect(request.outcome, 'the request was answered before the pool showed it waiting').to.equal(undefined);
    const { connections } = await client.poolSnapshot();
    expect(connections.waiting, `${client.service} requests waiting`).to.be.at.least(1);
  });
  const outcome = await request.result;
  expect(outcome.status, describeOutcome(outcome)).to.equal(200);
  const holders = await operations.settled('holder');
  const firstRelease = Math.min(...holders.map((h) => h.finishedAt));
  // 250 ms: both answers cross the same loopback; their arrival order may swap by a few ms.
  expect(outcome.finishedAt, 'served before any connection was given back').to.be.at.least(firstRelease - 250);
}
