import { expect } from 'chai';
import type { PoolSnapshot } from '../clients/contract';

/** The utilization gauge as /metrics exposes it. */
const UTILIZATION = /^dbpool_utilization_ratio\{[^}]*\} (\S+)$/m;

/** The pool's own metrics show the saturation: utilization and overflow in use, as JSON and to Prometheus. */
export function expectSaturation(snapshot: PoolSnapshot, metricsText: string, percent: number, overflowInUse: number): void {
  expect(Math.round(snapshot.utilization * 100), `${snapshot.service} utilization %`).to.equal(percent);
  expect(snapshot.connections.overflowInUse, `${snapshot.service} overflow connections in use`).to.equal(overflowInUse);
  expect(Number(UTILIZATION.exec(metricsText)?.[1]), 'dbpool_utilization_ratio in /metrics').to.equal(percent / 100);
}
