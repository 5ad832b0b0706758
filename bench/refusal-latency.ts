import { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import type { BackendClient as ServiceClient } from './backend-client';
import { parsePrometheusText } from '../support/targets/metric-maps';
import { configureBackendPool } from './bench-system';
import { round } from './latency-histogram';
import { runOpenLoop, type OpenLoopResult } from './open-loop';
import { difference, readHistogram, summarize, type BucketCounts, type ServerHistogramSummary } from './server-histogram';

export interface RefusalLatencyOptions {
  /** C: the pool's capacity (pool_size, no overflow). */
  capacity: number;
  /** T: how long the workload holds a connection; C / T is the pool's capacity rate. */
  holdSeconds: number;
  /** The arrival rate as a multiple of the capacity rate (the issue says 10x). */
  rateFactor: number;
  maxQueue: number;
  durationSeconds: number;
  /** An unmeasured run at the same rate first: opens the client's connections, warms the refusal path. */
  warmUpSeconds: number;
  connections: number;
  lateThresholdMs: number;
  healthRatePerSec: number;
}

export interface RefusalLatencyResult {
  workload: RefusalLatencyOptions & { capacityRatePerSec: number; ratePerSec: number; endpoint: string; poolTimeoutSeconds: number };
  /** Client side, from the intended send time (the figure judged: p99 < 5 ms). */
  refusals: OpenLoopResult;
  /** The service's own time to refuse (dbpool_refusal_duration_seconds), over the measured run only. */
  server: { metric: string; status429?: ServerHistogramSummary; allRefusals?: ServerHistogramSummary; unavailable?: string };
  health: OpenLoopResult;
  /** The pool after the run: still full, the queue still full (so every refusal met a saturated pool). */
  poolAfter: { active: number; waiting: number };
}

const REFUSAL_HISTOGRAM = 'dbpool_refusal_duration_seconds';
/** The goal for the service's own time to refuse (a bucket bound of REFUSAL_HISTOGRAM). */
export const SERVER_REFUSAL_GOAL_MS = 1;

async function refusalHistograms(backend: ServiceClient): Promise<{ status429?: BucketCounts; all?: BucketCounts }> {
  const samples = parsePrometheusText(await backend.metricsText());
  return { status429: readHistogram(samples, REFUSAL_HISTOGRAM, { status: '429' }), all: readHistogram(samples, REFUSAL_HISTOGRAM) };
}

/**
 * Refusal latency, open loop: the pool is held by `capacity` long operations and its queue is
 * filled by `maxQueue` waiters whose pool timeout outlasts the run, so every request of the run
 * meets a saturated pool with a full queue (429). Requests to a database route then arrive at a
 * constant rate of `rateFactor` x C/T, timed from their intended send times; /health is sampled
 * the same way throughout; the service's own refusal histogram is read before and after.
 */
export async function measureRefusalLatency(backend: ServiceClient, options: RefusalLatencyOptions): Promise<RefusalLatencyResult> {
  const capacityRatePerSec = options.capacity / options.holdSeconds;
  const ratePerSec = capacityRatePerSec * options.rateFactor;
  const runSeconds = options.warmUpSeconds + options.durationSeconds;
  // Waiters must outlast the run: a timed-out waiter would free a queue place (and feed the breaker).
  const poolTimeoutSeconds = runSeconds + 30;
  await configureBackendPool(backend, { poolSize: options.capacity, maxOverflow: 0, poolTimeoutSeconds, maxQueue: options.maxQueue });

  // The holders outlast the run by a margin for the set-up below; the queued waiters hold briefly once served.
  const holders = Array.from({ length: options.capacity }, () => backend.hold(Duration.ofSeconds(runSeconds + 3)));
  await eventually(async () => {
    const { connections } = await backend.poolSnapshot();
    if (connections.active < options.capacity) throw new Error(`pool holds ${connections.active} of ${options.capacity}`);
  });
  const waiters = Array.from({ length: options.maxQueue }, () => backend.hold(Duration.ofSeconds(0.01)));
  await eventually(async () => {
    const { connections } = await backend.poolSnapshot();
    if (connections.waiting < options.maxQueue) throw new Error(`queue holds ${connections.waiting} of ${options.maxQueue} waiters`);
  });

  const endpoint = '/api/work/fast';
  const load = (seconds: number) =>
    runOpenLoop({ url: `${backend.baseUrl}${endpoint}`, ratePerSec, durationSeconds: seconds, connections: options.connections, lateThresholdMs: options.lateThresholdMs, requestTimeoutMs: 10_000 });
  await load(options.warmUpSeconds);

  const before = await refusalHistograms(backend);
  const [refusals, health] = await Promise.all([
    load(options.durationSeconds),
    runOpenLoop({ url: `${backend.baseUrl}/health`, ratePerSec: options.healthRatePerSec, durationSeconds: options.durationSeconds, connections: 4, lateThresholdMs: options.lateThresholdMs, requestTimeoutMs: 10_000 }),
  ]);
  const after = await refusalHistograms(backend);
  const { connections } = await backend.poolSnapshot();
  const poolAfter = { active: connections.active, waiting: connections.waiting };

  const held = await Promise.all([...holders, ...waiters]);
  const notHeld = held.filter((outcome) => outcome.status !== 200);
  if (notHeld.length > 0) throw new Error(`${notHeld.length} of the operations holding the pool or its queue failed: ${notHeld.map((o) => o.status || o.error).join(', ')}`);
  const served = refusals.byStatus['200'] ?? 0;
  if (served > 0 || poolAfter.active < options.capacity || poolAfter.waiting < options.maxQueue) {
    throw new Error(`the pool was not saturated with a full queue throughout: ${served} requests served, pool after the run ${JSON.stringify(poolAfter)}`);
  }

  const server: RefusalLatencyResult['server'] = { metric: REFUSAL_HISTOGRAM };
  if (after.status429 && after.all) {
    server.status429 = summarize(difference(after.status429, before.status429), SERVER_REFUSAL_GOAL_MS);
    server.allRefusals = summarize(difference(after.all, before.all), SERVER_REFUSAL_GOAL_MS);
  } else {
    server.unavailable = `the backend's /metrics has no ${REFUSAL_HISTOGRAM}`;
  }
  return {
    workload: { ...options, capacityRatePerSec: round(capacityRatePerSec, 1), ratePerSec: round(ratePerSec, 1), endpoint: `GET ${endpoint}`, poolTimeoutSeconds },
    refusals,
    server,
    health,
    poolAfter,
  };
}
