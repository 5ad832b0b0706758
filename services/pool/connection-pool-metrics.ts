import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram } from './bucket-histogram';

/** Live counts, read from the pool whenever a snapshot, a scrape or a health assessment needs them. */
export interface PoolCounts {
  active: number;
  idle: number;
  total: number;
  waiting: number;
  poolSize: number;
  capacity: number;
  /** utilizationOf(active, capacity): computed once, here, for every reader. */
  utilization: number;
}

/**
 * Utilization, the one definition every reader uses (metrics, /health, refusals, the health rules):
 * connections checked out by callers / capacity (pool_size + max_overflow), a 0–1 ratio. A pool
 * without capacity (no valid setting allows one: POOL_SIZE is at least 1) has no spare connection
 * at all, so it counts as full: 1.
 */
export function utilizationOf(active: number, capacity: number): number {
  return capacity > 0 ? active / capacity : 1;
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
export type PoolCounters = Record<CounterName, number>;

export interface MetricsSnapshot {
  connections: PoolCounts & { overflowInUse: number };
  utilization: number;
  counters: PoolCounters;
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

/** Acquire waits, in seconds: from an immediate hand-over to a whole pool_timeout. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The service's own time to refuse (429/503), in seconds: from the request's arrival to the reply.
 * A refusal should take well under a millisecond, so the buckets are fine below 1 ms.
 */
const REFUSAL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30];
export const REFUSAL_STATUSES = [429, 503] as const;
export type RefusalStatus = (typeof REFUSAL_STATUSES)[number];

/** prom-client default metrics that are gauges with a counter's suffix (left out of /metrics). */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

function zeroCounters(): PoolCounters {
  // A literal, so every counter is a plain field of one fixed shape (the pool increments them in its hot path).
  return {
    acquired: 0,
    released: 0,
    timeouts: 0,
    rejected: 0,
    errors: 0,
    created: 0,
    destroyed: 0,
    lateConnectionsReturned: 0,
    leaksDetected: 0,
    leaksReclaimed: 0,
    recoveryAttempts: 0,
    recoverySuccesses: 0,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/**
 * ConnectionPoolMetrics: cumulative counters, recent wait times and live counts, exposed as a JSON
 * snapshot and in Prometheus text format (base units, counters ending in _total, utilization 0–1).
 *
 * Cheap to feed, since the pool feeds it on every checkout: counters are plain number fields that
 * the pool increments directly, and Prometheus reads them when scraped (collect()); the wait
 * histogram is a BucketHistogram. Nothing per event touches prom-client.
 */
export class ConnectionPoolMetrics {
  readonly registry = new Registry();
  /** The cumulative counters: incremented in place by the pool and the manager, read lazily by Prometheus. */
  readonly counters: PoolCounters = zeroCounters();
  private readonly waitHistogram: BucketHistogram;
  private readonly refusalHistogram: BucketHistogram;
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
    // prom-client names three gauges like counters (…_total), which `promtool check metrics` rejects;
    // the same totals are sum(nodejs_active_handles), sum(nodejs_active_requests), sum(nodejs_active_resources).
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(name);
    const counters = this.counters;
    for (const name of COUNTER_NAMES) {
      new Counter({
        ...PROMETHEUS_COUNTERS[name],
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(counters[name]);
        },
      });
    }
    this.waitHistogram = new BucketHistogram({
      name: 'dbpool_acquire_wait_seconds',
      help: 'Time callers waited for a connection',
      buckets: WAIT_BUCKETS,
      registers: [this.registry],
    });
    this.refusalHistogram = new BucketHistogram({
      name: 'dbpool_refusal_duration_seconds',
      help: 'Time the service took to refuse a request under pool pressure (429 or 503), from its arrival to the reply',
      buckets: REFUSAL_BUCKETS,
      registers: [this.registry],
      label: { name: 'status', values: REFUSAL_STATUSES.map(String) },
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
    gauge('dbpool_connections_open', 'Open server connections (active + idle)', () => this.readCounts().total);
    gauge('dbpool_connections_pending', 'Callers waiting for a connection', () => this.readCounts().waiting);
    gauge('dbpool_connections_max', 'Pool capacity (pool_size + max_overflow)', () => this.readCounts().capacity);
    gauge('dbpool_connections_overflow', 'Checked-out connections above pool_size', () => overflowInUse(this.readCounts()));
    gauge('dbpool_utilization_ratio', 'Connections checked out / capacity (pool_size + max_overflow)', () => this.readCounts().utilization);
    gauge('dbpool_health_status', 'Pool health: 0 healthy, 1 warning, 2 critical', readHealthLevel);
  }

  /** One cumulative counter, without building a snapshot. */
  counter(name: CounterName): number {
    return this.counters[name];
  }

  count(name: CounterName, by = 1): void {
    this.counters[name] += by;
  }

  /** A timeout or a queue-full refusal happened now (counted by the pool): health looks at these within a window. */
  notePressure(): void {
    this.pressureEvents.push(Date.now());
  }

  recordWait(waitedMs: number): void {
    this.waitHistogram.observe(waitedMs / 1000);
    if (this.waits.length < WAIT_RESERVOIR_SIZE) this.waits.push(waitedMs);
    else this.waits[this.waitCursor] = waitedMs;
    this.waitCursor = (this.waitCursor + 1) % WAIT_RESERVOIR_SIZE;
  }

  /** The service's own time to answer one refusal (429 or 503), from the request's arrival to the reply. */
  recordRefusal(status: RefusalStatus, seconds: number): void {
    this.refusalHistogram.observe(seconds, status === 429 ? 0 : 1);
  }

  /** Timeouts and queue-full refusals within the last `windowMs`. */
  pressureEventsWithin(windowMs: number): number {
    const since = Date.now() - windowMs;
    let expired = 0;
    while (expired < this.pressureEvents.length && (this.pressureEvents[expired] ?? 0) < since) expired++;
    if (expired > 0) this.pressureEvents.splice(0, expired);
    return this.pressureEvents.length;
  }

  counts(): PoolCounts {
    return this.readCounts();
  }

  snapshot(): MetricsSnapshot {
    const counts = this.readCounts();
    const sorted = [...this.waits].sort((a, b) => a - b);
    return {
      connections: { ...counts, overflowInUse: overflowInUse(counts) },
      utilization: counts.utilization,
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

function overflowInUse(counts: PoolCounts): number {
  return Math.max(0, counts.active - counts.poolSize);
}
