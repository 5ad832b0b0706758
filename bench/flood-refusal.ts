import { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import type { BackendClient as ServiceClient } from './backend-client';
import { configureBackendPool } from './bench-system';
import { runLoad, type LoadResult } from './http-load';
import { LatencyHistogram, round, type LatencySummary } from './latency-histogram';

export interface FloodOptions {
  capacity: number;
  maxQueue: number;
  poolTimeoutSeconds: number;
  /** Flood concurrency as a multiple of the pool's capacity (the issue says 10x). */
  floodFactor: number;
  floodSeconds: number;
  healthSamplesPerSec: number;
}

export interface FloodResult {
  workload: FloodOptions & { floodConnections: number; endpoint: string };
  /** p99 of the 429 answers while the pool is held and the queue full; target < 10 ms. */
  rejection429P99Ms: number;
  rejection429: LatencySummary;
  /** Every refusal (429 queue full and 503 breaker open / timed out), since the breaker may answer part of the flood. */
  refusalAnyP99Ms: number;
  refusalAny: LatencySummary;
  /** /health sampled at a steady rate during the flood (it may answer 503 while critical: it answers). */
  healthDuringFloodP99Ms: number;
  healthDuringFlood: { answered: number; unanswered: number; byStatus: Record<string, number> };
  /** The service's own event-loop delay p99 (prom-client), worst 1 s window during the flood. */
  eventLoopDelayP99Ms: number;
  /** The same measure with the pool held but no flood, for comparison (it includes the monitor's 10 ms resolution). */
  eventLoopDelayIdleP99Ms: number;
  eventLoopDelayMaxMs: number;
  flood: Pick<LoadResult, 'sent' | 'completed' | 'byStatus' | 'unanswered'> & { requestsPerSec: number; server500s: number };
}

const LAG_P99 = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m;
const LAG_MAX = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m;

/** One /metrics scrape: prom-client resets its event-loop histogram on every scrape, so each covers the time since the last. */
async function scrapeEventLoopDelay(backend: ServiceClient): Promise<{ p99Ms: number; maxMs: number }> {
  const outcome = await backend.request('GET', '/metrics');
  const text = String(outcome.body);
  const p99 = LAG_P99.exec(text)?.[1];
  const max = LAG_MAX.exec(text)?.[1];
  if (outcome.status !== 200 || p99 === undefined || max === undefined) {
    throw new Error(`/metrics answered ${outcome.status} without nodejs_eventloop_lag_p99_seconds / _max_seconds`);
  }
  return { p99Ms: Number(p99) * 1000, maxMs: Number(max) * 1000 };
}

/**
 * Fast refusal under flood: the pool is held by `capacity` long operations and its small queue
 * is full, then `/api/work/fast` is flooded at `floodFactor` x capacity concurrent callers. The
 * 429 answers are timed one by one; /health and the event loop are watched throughout.
 */
export async function measureFloodRefusal(backend: ServiceClient, options: FloodOptions): Promise<FloodResult> {
  await configureBackendPool(backend, { poolSize: options.capacity, maxOverflow: 0, poolTimeoutSeconds: options.poolTimeoutSeconds, maxQueue: options.maxQueue });
  // Held past the flood's end, so the pool stays full for all of it.
  const holdSeconds = options.floodSeconds + 4;
  const holds = Array.from({ length: options.capacity }, () => backend.hold(Duration.ofSeconds(holdSeconds)));
  await eventually(async () => {
    const snapshot = await backend.poolSnapshot();
    if (snapshot.connections.active < options.capacity) throw new Error(`pool holds ${snapshot.connections.active} of ${options.capacity}`);
  });

  // Baseline window: the pool is held, nothing else runs. The first scrape resets the histogram.
  await scrapeEventLoopDelay(backend);
  const idle = await runLoad({ url: `${backend.baseUrl}/health`, connections: 1, durationSeconds: 1, overallRate: options.healthSamplesPerSec });
  const idleDelay = await scrapeEventLoopDelay(backend);
  if (idle.unanswered > 0) throw new Error(`/health left ${idle.unanswered} requests unanswered before the flood`);

  const rejections = new LatencyHistogram();
  const refusals = new LatencyHistogram();
  const floodConnections = options.capacity * options.floodFactor;
  const delays: Array<{ p99Ms: number; maxMs: number }> = [];
  let flooding = true;
  const scraper = (async () => {
    // One scrape per second: each reading covers the second before it.
    while (flooding) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (flooding) delays.push(await scrapeEventLoopDelay(backend));
    }
  })();
  const [flood, health] = await Promise.all([
    runLoad({
      url: `${backend.baseUrl}/api/work/fast`,
      connections: floodConnections,
      durationSeconds: options.floodSeconds,
      onResponse: (status, ms) => {
        if (status === 429) rejections.recordMs(ms);
        if (status === 429 || status === 503) refusals.recordMs(ms);
      },
    }),
    runLoad({ url: `${backend.baseUrl}/health`, connections: 1, durationSeconds: options.floodSeconds, overallRate: options.healthSamplesPerSec }),
  ]).finally(() => {
    flooding = false;
  });
  await scraper;
  await Promise.all(holds);

  const rejection429 = rejections.summary();
  if (rejection429.count === 0) throw new Error(`the flood got no 429 at all: ${JSON.stringify(flood.byStatus)}`);
  return {
    workload: { ...options, floodConnections, endpoint: 'GET /api/work/fast' },
    rejection429P99Ms: rejection429.p99Ms,
    rejection429,
    refusalAnyP99Ms: refusals.summary().p99Ms,
    refusalAny: refusals.summary(),
    healthDuringFloodP99Ms: round(health.latencyP99Ms),
    healthDuringFlood: { answered: health.completed, unanswered: health.unanswered, byStatus: health.byStatus },
    eventLoopDelayP99Ms: round(Math.max(...delays.map((d) => d.p99Ms))),
    eventLoopDelayIdleP99Ms: round(idleDelay.p99Ms),
    eventLoopDelayMaxMs: round(Math.max(...delays.map((d) => d.maxMs))),
    flood: {
      sent: flood.sent,
      completed: flood.completed,
      byStatus: flood.byStatus,
      unanswered: flood.unanswered,
      requestsPerSec: round(flood.completed / flood.durationSeconds, 0),
      server500s: flood.byStatus['500'] ?? 0,
    },
  };
}
