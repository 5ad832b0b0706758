import { expect } from 'chai';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading, ServiceTarget } from '../targets/service-target';

/**
 * The pool's own reports show the saturation, in every channel the service reports through (our
 * services: the JSON snapshot and Prometheus): utilization, the overflow connections in use, and
 * `idle` connections open but unused (none, when every connection the pool may open is in use).
 * Returns the channels judged.
 */
export function expectSaturation(target: ServiceTarget, reports: readonly PoolReading[], percent: number, overflowInUse: number, idle: number): string[] {
  if (reports.length === 0) throw new NotOffered("the pool's own report of its utilization", `${target.label} reports no pool metrics (only pg_stat_activity sees its connections)`);
  if (overflowInUse > 0 && target.overflow !== 'its own') throw new NotOffered(`a count of overflow connections in use (${overflowInUse})`, `${target.label} has one pool size, no overflow of its own`);
  const judged: string[] = [];
  for (const report of reports) {
    const channel = Object.values(report.evidence)[0] ?? 'report';
    const capacity = report.capacity;
    const utilization = report.utilization ?? (report.active === undefined ? undefined : report.active / capacity);
    expect(utilization, `${report.service} utilization in its ${channel}`).to.not.equal(undefined);
    expect(Math.round(utilization! * 100), `${report.service} utilization % in its ${channel}`).to.equal(percent);
    if (target.overflow === 'its own') {
      expect(Math.max(0, (report.active ?? 0) - report.poolSize), `${report.service} overflow connections in use, in its ${channel}`).to.equal(overflowInUse);
    }
    if (report.idle !== undefined) expect(report.idle, `${report.service} idle connections, in its ${channel}`).to.equal(idle);
    judged.push(channel);
  }
  if (reports.every((report) => report.idle === undefined)) throw new NotOffered(`a count of idle connections (${idle})`, `${target.label} reports none of its own`);
  return judged;
}
