import type { ServiceClient } from '../clients/service-client';
import { LivenessProbe, type LivenessFigure, type LivenessSample } from './liveness';

export interface TimelineSample {
  /** Milliseconds since the sampler started. */
  t: number;
  service: string;
  active: number;
  idle: number;
  waiting: number;
  capacity: number;
  utilization: number;
  health: string;
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
  livenessSamples: Array<Omit<LivenessSample, 'at'> & { t: number }>;
}

/**
 * Polls every service's /admin/pool while a scenario runs, so the report shows what the pool did
 * over time (and assertions can ask what it did, not only what it does now); marks the phases of
 * the scenario; and runs the liveness probe (GET /health) beside it.
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
    private readonly clients: readonly ServiceClient[],
    private readonly everyMs = 100,
  ) {
    this.liveness = new LivenessProbe(clients.map((c) => ({ service: c.service, baseUrl: c.baseUrl })), this.livenessEveryMs);
  }

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

  peak(service: string, field: 'active' | 'waiting' | 'utilization'): number {
    return Math.max(0, ...this.samples.filter((s) => s.service === service).map((s) => s[field]));
  }

  toJSON(): TimelineJson {
    return {
      startedAt: new Date(this.startedAt).toISOString(),
      everyMs: this.everyMs,
      phases: this.phases,
      liveness: { ...this.liveness.figure(), everyMs: this.livenessEveryMs },
      samples: this.samples,
      livenessSamples: this.liveness.samples.map(({ at, ...rest }) => ({ t: at - this.startedAt, ...rest })),
    };
  }

  private async sample(): Promise<void> {
    // Guard: a slow answer must not pile up concurrent polls on a struggling service.
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const t = Date.now() - this.startedAt;
      const snapshots = await Promise.allSettled(this.clients.map((client) => client.poolSnapshot()));
      for (const result of snapshots) {
        if (result.status !== 'fulfilled') continue;
        const { service, connections, utilization, health } = result.value;
        this.samples.push({ t, service, active: connections.active, idle: connections.idle, waiting: connections.waiting, capacity: connections.capacity, utilization, health: health.status });
      }
    } finally {
      this.inFlight = false;
    }
  }
}
