import { expect } from 'chai';
import type { Duration } from '../duration';
import type { HealthReading } from '../targets/service-target';
import { LIVENESS_LIMIT } from '../monitoring/liveness';
import type { PoolTimeline } from '../monitoring/pool-timeline';
import type { LoadRun } from '../tasks/generate-load';

/** The figures the issue asks for, per spike. */
export interface SpikeFigures {
  spike: string;
  /** Seconds from the start of the load. */
  from: number;
  to: number;
  callers: number;
  sent: number;
  /** null where the target does not report waiting requests. */
  peakWaiting: number | null;
  p95Ms: number;
  maxMs: number;
  /** other / sent, as a percentage. */
  errorPercent: number;
  /** (429 + 503) / sent, as a percentage. */
  shedPercent: number;
  /** Seconds from the end of the spike until the service was back to normal; null: not within the window. */
  recoverySeconds: number | null;
  /** How long after the spike the sustained level ran (the longest recovery that could be observed). */
  observedSeconds: number;
}

/**
 * Back to normal, after a spike: the sampler sees nobody waiting and no more connections in use than
 * the sustained level's callers, and no request sent from that second on (for one second) was shed
 * or failed.
 */
export function spikeFigures(load: LoadRun, timeline: PoolTimeline): SpikeFigures[] {
  const seconds = new Map(load.seconds.map((s) => [s.second, s]));
  const troubleIn = (second: number): number => {
    const bucket = seconds.get(second);
    return bucket ? bucket.other + bucket['429'] + bucket['503'] : 0;
  };
  return load.segments.flatMap((segment, index) => {
    if (segment.kind !== 'spike') return [];
    const after = load.segments[index + 1];
    const spikeEnd = load.startedAt + segment.toMs;
    const windowEnd = load.startedAt + (after?.toMs ?? segment.toMs);
    const during = timeline.samplesOf(load.service, { fromEpoch: load.startedAt + segment.fromMs, toEpoch: spikeEnd + 1000 });
    const recovered = timeline.samplesOf(load.service, { fromEpoch: spikeEnd, toEpoch: windowEnd }).find((sample) => {
      const second = Math.floor((timeline.startedAt + sample.t - load.startedAt) / 1000);
      // Nobody waiting (where the target reports it) and no more connections in use than the sustained callers.
      return (sample.waiting ?? 0) === 0 && sample.active !== undefined && sample.active <= (after?.targetCallers ?? 0) && troubleIn(second) === 0 && troubleIn(second + 1) === 0;
    });
    return [
      {
        spike: segment.name,
        from: segment.fromMs / 1000,
        to: segment.toMs / 1000,
        callers: segment.targetCallers,
        sent: segment.sent,
        peakWaiting: during.some((s) => s.waiting !== undefined) ? Math.max(0, ...during.map((s) => s.waiting ?? 0)) : null,
        p95Ms: segment.latencyMs.p95,
        maxMs: segment.latencyMs.max,
        errorPercent: segment.errorRate * 100,
        shedPercent: segment.shedRate * 100,
        recoverySeconds: recovered ? Math.max(0, timeline.startedAt + recovered.t - spikeEnd) / 1000 : null,
        observedSeconds: (windowEnd - spikeEnd) / 1000,
      },
    ];
  });
}

export function expectSpikeRates(figures: readonly SpikeFigures[], errorPercent: number, shedPercent: number): void {
  expect(figures.length, 'spikes in the load').to.be.at.least(1);
  for (const spike of figures) {
    expect(spike.sent, `${spike.spike}: requests sent`).to.be.above(0);
    expect(spike.errorPercent, `${spike.spike}: error rate % (answers other than 2xx/429/503, or none)`).to.be.below(errorPercent);
    expect(spike.shedPercent, `${spike.spike}: shed rate % (429 + 503)`).to.be.below(shedPercent);
  }
}

export function expectRecoveredWithin(figures: readonly SpikeFigures[], limit: Duration): void {
  expect(figures.length, 'spikes in the load').to.be.at.least(1);
  for (const spike of figures) {
    expect(spike.recoverySeconds, `${spike.spike}: back to normal within the ${spike.observedSeconds} s of sustained load after it`).to.not.equal(null);
    expect(spike.recoverySeconds!, `${spike.spike}: seconds until back to normal`).to.be.at.most(limit.seconds);
  }
}

/** Utilization sampled while the load ran never went above `percent`. */
export function expectUtilizationAtMost(load: LoadRun, timeline: PoolTimeline, percent: number): number {
  const samples = timeline.series(load.service, 'utilization', 'the pool\'s utilization over time', { fromEpoch: load.startedAt, toEpoch: load.finishedAt });
  expect(samples.length, 'pool samples taken during the load').to.be.at.least(5);
  const peak = Math.max(...samples.map((s) => s.utilization));
  expect(peak * 100, `${load.service} peak utilization % during the load`).to.be.at.most(percent);
  return peak;
}

/**
 * Never crashed: the liveness probe was answered (>= 99.9%) throughout the load, the service answers
 * now, and its counters only grew (a restarted process would start them from zero).
 */
export function expectStayedUp(load: LoadRun, timeline: PoolTimeline, healthNow: HealthReading): void {
  const figure = timeline.liveness.figure({ from: load.startedAt, to: load.finishedAt }, load.service);
  expect(figure.samples, `${load.service} liveness probes during the load`).to.be.at.least(1);
  expect(figure.ratio, `${load.service} liveness during the load: ${figure.answered} of ${figure.samples} answered; ${JSON.stringify(figure.unanswered)}`).to.be.at.least(LIVENESS_LIMIT);
  expect(healthNow.status, `${load.service} health check now (${healthNow.answer.status || healthNow.answer.error})`).to.not.equal(undefined);
  // Where the service counts its acquires: they only grew (a restarted process would start them from zero).
  if (load.before.acquired !== undefined && load.after.acquired !== undefined) {
    const acquired = load.after.acquired - load.before.acquired;
    expect(acquired, `${load.service} connections acquired during the load vs requests answered 2xx (same process throughout)`).to.be.at.least(load.totals['2xx']);
  }
}

/** Another service stayed healthy while the load ran: every liveness probe of it answered "healthy". */
export function expectStayedHealthy(load: LoadRun, timeline: PoolTimeline, service: string): void {
  const samples = timeline.liveness.samples.filter((s) => s.service === service && s.at >= load.startedAt && s.at <= load.finishedAt);
  const expected = Math.floor((load.finishedAt - load.startedAt) / 1000);
  expect(samples.length, `${service} probes during the ${expected} s of load`).to.be.at.least(Math.max(1, expected));
  const unhealthy = samples.filter((s) => !s.alive || s.poolStatus !== 'healthy' || s.status !== 200);
  expect(unhealthy.map((s) => `${new Date(s.at).toISOString()}: ${s.status} ${s.poolStatus ?? s.error}`), `${service} health probes that were not healthy`).to.deep.equal([]);
}
