/**
 * Ready-made maps from what the suite reads (active, idle, pending, …) to the Prometheus series a
 * pool library exposes. A series may carry label filters: `db_client_connection_count{db_client_connection_state="used"}`.
 * When several series match (more than one pool), their values are added up.
 */
export interface MetricNameMap {
  /** Connections checked out by callers. */
  active?: string;
  idle?: string;
  /** Callers waiting for a connection. */
  pending?: string;
  /** The pool's capacity. */
  max?: string;
  /** Open server connections (active + idle). */
  open?: string;
  /** active / max, 0–1. */
  utilization?: string;
  acquired?: string;
  released?: string;
  timeouts?: string;
  /** Requests refused at once because too many waited. */
  rejected?: string;
  errors?: string;
  /** Server connections opened and closed by the pool. */
  created?: string;
  destroyed?: string;
  leaksDetected?: string;
  recoveryAttempts?: string;
  recoverySuccesses?: string;
  /** Time callers waited for a connection, a histogram in seconds: its name without _bucket, _sum and _count. */
  waitSeconds?: string;
}

export const METRIC_MAPS = {
  /** Our services (docs/operators.md, GET /metrics). */
  ours: {
    active: 'dbpool_connections_active',
    idle: 'dbpool_connections_idle',
    pending: 'dbpool_connections_pending',
    max: 'dbpool_connections_max',
    open: 'dbpool_connections_open',
    utilization: 'dbpool_utilization_ratio',
    acquired: 'dbpool_acquired_total',
    released: 'dbpool_released_total',
    timeouts: 'dbpool_timeouts_total',
    rejected: 'dbpool_rejected_total',
    errors: 'dbpool_errors_total',
    created: 'dbpool_connections_created_total',
    destroyed: 'dbpool_connections_destroyed_total',
    leaksDetected: 'dbpool_leaks_detected_total',
    recoveryAttempts: 'dbpool_recovery_attempts_total',
    recoverySuccesses: 'dbpool_recovery_successes_total',
    waitSeconds: 'dbpool_acquire_wait_seconds',
  },
  /** HikariCP through Micrometer's Prometheus registry (what JVM dashboards already know). */
  hikaricp: {
    active: 'hikaricp_connections_active',
    idle: 'hikaricp_connections_idle',
    pending: 'hikaricp_connections_pending',
    max: 'hikaricp_connections_max',
    open: 'hikaricp_connections',
    acquired: 'hikaricp_connections_acquire_seconds_count',
    released: 'hikaricp_connections_usage_seconds_count',
    timeouts: 'hikaricp_connections_timeout_total',
    waitSeconds: 'hikaricp_connections_acquire_seconds',
  },
  /** OpenTelemetry's database client connection metrics (semantic conventions), as a Prometheus exporter writes them. */
  opentelemetry: {
    active: 'db_client_connection_count{db_client_connection_state="used"}',
    idle: 'db_client_connection_count{db_client_connection_state="idle"}',
    pending: 'db_client_connection_pending_requests',
    max: 'db_client_connection_max',
    timeouts: 'db_client_connection_timeouts_total',
    waitSeconds: 'db_client_connection_wait_time_seconds',
  },
} as const satisfies Record<string, MetricNameMap>;

export type MetricMapName = keyof typeof METRIC_MAPS;

/** One sample line of the Prometheus text format. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments and HELP/TYPE lines skipped). */
export function parsePrometheusText(text: string): PrometheusSample[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('#') || line.trim() === '') return [];
    const match = SAMPLE.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map((l) => [l[1]!, l[2]!.replace(/\\(.)/g, '$1')]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/**
 * The histogram `spec` names (without _bucket/_sum/_count), its series matching `labels` added up:
 * cumulative bucket counts by upper bound, sum and count (undefined when it is not exposed).
 */
export function histogramValue(samples: readonly PrometheusSample[], spec: string, labels: Readonly<Record<string, string>> = {}): { buckets: Array<{ le: number; count: number }>; sum: number; count: number } | undefined {
  const wanted = parseSeriesSpec(spec);
  const filter = { ...labels, ...wanted.labels };
  const count = seriesValue(samples, `${wanted.name}_count`, filter);
  const sum = seriesValue(samples, `${wanted.name}_sum`, filter);
  if (count === undefined || sum === undefined) return undefined;
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${wanted.name}_bucket` || !Object.entries(filter).every(([k, v]) => sample.labels[k] === v)) continue;
    const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
  }
  const buckets = [...byBound].map(([le, n]) => ({ le, count: n })).sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/** `name{a="b"}` as a name and its label filters. */
export function parseSeriesSpec(spec: string): { name: string; labels: Record<string, string> } {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(spec.trim());
  if (!match) throw new Error(`"${spec}" is not a Prometheus series: expected name or name{label="value"}`);
  return { name: match[1]!, labels: Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map((l) => [l[1]!, l[2]!])) };
}

/** The sum of the series matching `spec` and `labels` (undefined when none does). */
export function seriesValue(samples: readonly PrometheusSample[], spec: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const wanted = parseSeriesSpec(spec);
  const filter = { ...labels, ...wanted.labels };
  const matching = samples.filter((s) => s.name === wanted.name && Object.entries(filter).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}
