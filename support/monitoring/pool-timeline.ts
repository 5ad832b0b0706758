import { NotOffered } from '../targets/not-offered';
import type { PoolReading, ServiceTarget } from '../targets/service-target';

/** "pg_stat_activity", "the service's snapshot": where a service's figures came from, for a message. */
export function describeEvidence(evidence: PoolReading['evidence'] | undefined): string {
  const sources = [...new Set(Object.values(evidence ?? {}))];
  return sources.length === 0 ? 'no evidence yet' : sources.join(' and ');
}
import { LivenessProbe, type LivenessFigure, type LivenessSample } from './liveness';

/** One reading of one service's pool; a figure the target's evidence does not give is absent. */
export interface TimelineSample {
  /** Milliseconds since the sampler started. */
  t: number;
  service: string;
  active?: number;
  idle?: number;
  waiting?: number;
  capacity?: number;
  /** active / capacity: as the service reports it, or from the two counts. */
  utilization?: number;
  health?: string;
}

/** A stretch of the scenario worth marking on the chart: a load phase, a batch of operations. */
export interface TimelinePhase {
  name: string;
  kind: string;
  /** Milliseconds since the sampler started, like the samples. */
  from: number;
  to: number;
}

export interface TimelineJson {
  startedAt: string;
  everyMs: number;
  phases: TimelinePhase[];
  liveness: LivenessFigure & { everyMs: number };
  samples: TimelineSample[];
  /** Per service, where each figure came from (the service's snapshot, Prometheus, pg_stat_activity, the shape the suite set). */
  evidence: Record<string, PoolReading['evidence']>;
  /** Polls that got no reading (the service or its evidence did not answer), per service. */
  failedPolls: Record<string, number>;
  livenessSamples: Array<Omit<LivenessSample, 'at'> & { t: number }>;
}

/**
 * Reads every service's pool while a scenario runs (from whatever evidence its target gives), so
 * the report shows what the pool did over time and checks can ask what it did, not only what it
 * does now; marks the phases of the scenario; and runs the liveness probe beside it. A poll that
 * gets no reading is counted, never dropped silently.
 */
export class PoolTimeline {
  readonly samples: TimelineSample[] = [];
  readonly phases: TimelinePhase[] = [];
  readonly liveness: LivenessProbe;
  /** Epoch ms: sample t = epoch - startedAt. */
  readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private readonly livenessEveryMs = 250;

  constructor(
    private readonly targets: readonly ServiceTarget[],
    private readonly everyMs = 100,
  ) {
    this.liveness = new LivenessProbe(
      targets.filter((t) => t.hasHealth).map((t) => ({ service: t.service, health: () => t.health() })),
      this.livenessEveryMs,
    );
    for (const target of targets) this.failedPolls[target.service] = 0;
  }

  /** Polls that got no reading, per service. */
  readonly failedPolls: Record<string, number> = {};
  /** Per service, the evidence of its last reading. */
  readonly evidence: Record<string, PoolReading['evidence']> = {};

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.liveness.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.sample(), this.liveness.stop()]);
  }

  /** Marks a phase given in epoch ms (the load generator's and the operations' clock). */
  markPhase(name: string, kind: string, fromEpoch: number, toEpoch: number): void {
    this.phases.push({ name, kind, from: fromEpoch - this.startedAt, to: toEpoch - this.startedAt });
  }

  /** A service's samples, optionally only those taken within [fromEpoch, toEpoch]. */
  samplesOf(service: string, window: { fromEpoch?: number; toEpoch?: number } = {}): TimelineSample[] {
    const from = (window.fromEpoch ?? -Infinity) - this.startedAt;
    const to = (window.toEpoch ?? Infinity) - this.startedAt;
    return this.samples.filter((s) => s.service === service && s.t >= from && s.t <= to);
  }

  /**
   * A service's samples of one figure (within [fromEpoch, toEpoch] when given), each with its value;
   * NotOffered when the target's evidence never gives that figure.
   */
  series(service: string, field: 'active' | 'idle' | 'waiting' | 'utilization', what: string, window: { fromEpoch?: number; toEpoch?: number } = {}): Array<TimelineSample & Record<typeof field, number>> {
    if (!this.samples.some((s) => s.service === service && s[field] !== undefined) && this.samples.some((s) => s.service === service)) {
      throw new NotOffered(what, `${service} gives no such figure (its pool is read from ${describeEvidence(this.evidence[service])})`);
    }
    return this.samplesOf(service, window).filter((s) => s[field] !== undefined) as Array<TimelineSample & Record<typeof field, number>>;
  }

  /** The highest value of a figure among a service's samples (undefined: the target never gave it). */
  peak(service: string, field: 'active' | 'waiting' | 'utilization'): number | undefined {
    const values = this.samples.filter((s) => s.service === service).flatMap((s) => (s[field] === undefined ? [] : [s[field]!]));
    return values.length === 0 ? undefined : Math.max(...values);
  }

  toJSON(): TimelineJson {
    return {
      startedAt: new Date(this.startedAt).toISOString(),
      everyMs: this.everyMs,
      phases: this.phases,
      liveness: { ...this.liveness.figure(), everyMs: this.livenessEveryMs },
      samples: this.samples,
      evidence: this.evidence,
      failedPolls: this.failedPolls,
      livenessSamples: this.liveness.samples.map(({ at, ...rest }) => ({ t: at - this.startedAt, ...rest })),
    };
  }

  private async sample(): Promise<void> {
    // Guard: a slow answer must not pile up concurrent polls on a struggling service.
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const t = Date.now() - this.startedAt;
      const readings = await Promise.allSettled(this.targets.map((target) => target.poolState()));
      for (const [index, result] of readings.entries()) {
        const service = this.targets[index]!.service;
        if (result.status !== 'fulfilled') {
          this.failedPolls[service] = (this.failedPolls[service] ?? 0) + 1;
          continue;
        }
        const { active, idle, waiting, capacity, health, evidence } = result.value;
        const utilization = result.value.utilization ?? (active !== undefined && capacity ? active / capacity : undefined);
        this.evidence[service] = evidence;
        this.samples.push({ t, service, active, idle, waiting, capacity, utilization, health });
      }
    } finally {
      this.inFlight = false;
    }
  }
}
