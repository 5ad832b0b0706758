import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Live counts, read from the pool whenever a snapshot or a scrape is taken. */
export interface PoolCounts {
  active: number;
  idle: number;
  total: number;
  waiting: number;
  poolSize: number;
  capacity: number;
}

export const COUNTER_NAMES = [
  'acquired',
  'released',
  'timeouts',
  'rejected',
  'errors',
  'created',
  'destroyed',
  'lateConnectionsReturned',
  'leaksDetected',
  'leaksReclaimed',
  'recoveryAttempts',
  'recoverySuccesses',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export interface MetricsSnapshot {
  connections: PoolCounts & { overflowInUse: number };
  utilization: number;
  counters: Record<CounterName, number>;
  waitMs: { p50: number; p95: number; p99: number; max: number; samples: number };
}

const PROMETHEUS_COUNTERS: Record<CounterName, { name: string; help: string }> = {
  acquired: { name: 'dbpool_acquired_total', help: 'Connections handed to callers' },
  released: { name: 'dbpool_released_total', help: 'Connections given back by callers' },
  timeouts: { name: 'dbpool_timeouts_total', help: 'Acquires that waited pool_timeout and failed' },
  rejected: { name: 'dbpool_rejected_total', help: 'Acquires refused at once because the queue was full' },
  errors: { name: 'dbpool_errors_total', help: 'Connection errors (connect failures, server-side kills)' },
  created: { name: 'dbpool_connections_created_total', help: 'Server connections opened' },
  destroyed: { name: 'dbpool_connections_destroyed_total', help: 'Server connections closed' },
  lateConnectionsReturned: {
    name: 'dbpool_late_connections_returned_total',
    help: 'Connections that arrived after their waiter timed out and were given straight back',
  },
  leaksDetected: { name: 'dbpool_leaks_detected_total', help: 'Checkouts held past the leak threshold' },
  leaksReclaimed: { name: 'dbpool_leaks_reclaimed_total', help: 'Leaked connections reclaimed by the pool' },
  recoveryAttempts: { name: 'dbpool_recovery_attempts_total', help: 'Recovery strategy runs' },
  recoverySuccesses: { name: 'dbpool_recovery_successes_total', help: 'Recovery strategy runs that succeeded' },
};

/** How many recent acquire waits the percentiles are computed over. */
const WAIT_RESERVOIR_SIZE = 2048;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/**
 * ConnectionPoolMetrics: cumulative counters, recent wait times and live counts, exposed as a JSON
 * snapshot and in Prometheus text format (base units, counters ending in _total, utilization 0–1).
 */
export class ConnectionPoolMetrics {
  readonly registry = new Registry();
  private readonly counters = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
  private readonly promCounters: Record<CounterName, Counter>;
  private readonly waitHistogram: Histogram;
  private readonly waits: number[] = [];
  private waitCursor = 0;
  /** Times (ms since epoch) of recent timeouts and refusals, for the health window. */
  private readonly pressureEvents: number[] = [];

  constructor(
    service: string,
    private readonly readCounts: () => PoolCounts,
    readHealthLevel: () => number,
  ) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.promCounters = Object.fromEntries(
      COUNTER_NAMES.map((n) => [n, new Counter({ ...PROMETHEUS_COUNTERS[n], registers: [this.registry] })]),
    ) as Record<CounterName, Counter>;
    this.waitHistogram = new Histogram({
      name: 'dbpool_acquire_wait_seconds',
      help: 'Time callers waited for a connection',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('dbpool_connections_active', 'Connections checked out by callers', () => this.readCounts().active);
    gauge('dbpool_connections_idle', 'Open connections waiting in the pool', () => this.readCounts().idle);
    gauge('dbpool_connections_total', 'Open server connections', () => this.readCounts().total);
    gauge('dbpool_connections_pending', 'Callers waiting for a connection', () => this.readCounts().waiting);
    gauge('dbpool_connections_max', 'Pool capacity (pool_size + max_overflow)', () => this.readCounts().capacity);
    gauge('dbpool_connections_overflow', 'Checked-out connections above pool_size', () => this.snapshot().connections.overflowInUse);
    gauge('dbpool_utilization_ratio', 'Active connections / capacity', () => this.snapshot().utilization);
    gauge('dbpool_health_status', 'Pool health: 0 healthy, 1 warning, 2 critical', readHealthLevel);
  }

  /** One cumulative counter, without building a snapshot. */
  counter(name: CounterName): number {
    return this.counters[name];
  }

  count(name: CounterName, by = 1): void {
    this.counters[name] += by;
    this.promCounters[name].inc(by);
    if (name === 'timeouts' || name === 'rejected') this.pressureEvents.push(Date.now());
  }

  recordWait(waitedMs: number): void {
    this.waitHistogram.observe(waitedMs / 1000);
    if (this.waits.length < WAIT_RESERVOIR_SIZE) this.waits.push(waitedMs);
    else this.waits[this.waitCursor] = waitedMs;
    this.waitCursor = (this.waitCursor + 1) % WAIT_RESERVOIR_SIZE;
  }

  /** Timeouts and queue-full refusals within the last `windowMs`. */
  pressureEventsWithin(windowMs: number): number {
    const since = Date.now() - windowMs;
    while (this.pressureEvents.length > 0 && (this.pressureEvents[0] ?? 0) < since) this.pressureEvents.shift();
    return this.pressureEvents.length;
  }

  counts(): PoolCounts {
    return this.readCounts();
  }

  snapshot(): MetricsSnapshot {
    const counts = this.readCounts();
    const sorted = [...this.waits].sort((a, b) => a - b);
    return {
      connections: { ...counts, overflowInUse: Math.max(0, counts.active - counts.poolSize) },
      utilization: counts.capacity === 0 ? 0 : counts.active / counts.capacity,
      counters: { ...this.counters },
      waitMs: {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? 0,
        samples: sorted.length,
      },
    };
  }

  prometheusText(): Promise<string> {
    return this.registry.metrics();
  }

  get prometheusContentType(): string {
    return this.registry.contentType;
  }
}
