import type { ServiceClient } from '../clients/service-client';

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

/**
 * Polls a service's /admin/pool while a scenario runs, so the report shows what the pool did over
 * time (and assertions can ask what it did, not only what it does now).
 */
export class PoolTimeline {
  readonly samples: TimelineSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private inFlight = false;

  constructor(
    private readonly clients: readonly ServiceClient[],
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sample();
  }

  peak(service: string, field: 'active' | 'waiting' | 'utilization'): number {
    return Math.max(0, ...this.samples.filter((s) => s.service === service).map((s) => s[field]));
  }

  toJSON(): { startedAt: string; everyMs: number; samples: TimelineSample[] } {
    return { startedAt: new Date(this.startedAt).toISOString(), everyMs: this.everyMs, samples: this.samples };
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
