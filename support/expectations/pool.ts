import { expect } from 'chai';
import type { ServiceClient } from '../clients/service-client';
import { eventually } from '../eventually';

/** The pool's own metrics show the saturation: utilization and overflow in use, as JSON and to Prometheus. */
export async function expectSaturation(client: ServiceClient, percent: number, overflowInUse: number): Promise<void> {
  await eventually(async () => {
    const snapshot = await client.poolSnapshot();
    expect(Math.round(snapshot.utilization * 100), `${client.service} utilization %`).to.equal(percent);
    expect(snapshot.connections.overflowInUse, `${client.service} overflow connections in use`).to.equal(overflowInUse);
    const metrics = await client.request('GET', '/metrics');
    const ratio = /^dbpool_utilization_ratio\{[^}]*\} (\S+)$/m.exec(String(metrics.body))?.[1];
    expect(Number(ratio), 'dbpool_utilization_ratio in /metrics').to.equal(percent / 100);
  });
}
