import http from 'node:http';
import pg from 'pg';
import type { BackendClient as ServiceClient } from './backend-client';
import { parsePrometheusText } from '../support/targets/metric-maps';
import { configureBackendPool } from './bench-system';
import { LatencyHistogram, round } from './latency-histogram';
import { difference, readHistogram } from './server-histogram';

export interface RateAtCapacityOptions {
  /** C: the pool's capacity, and exactly as many closed-loop callers. */
  capacity: number;
  /** T: how long each request holds its connection inside the database. */
  holdSeconds: number;
  durationSeconds: number;
  warmUpSeconds: number;
}

/** One part of a request's time: its mean (the parts add up to the mean cycle) and its spread. */
export interface TimePart {
  key: 'clientSend' | 'http' | 'acquireWait' | 'query' | 'clientReceive' | 'turnaround' | 'directQuery';
  part: string;
  /** Where the figure comes from. */
  source: string;
  meanMs: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface RateAtCapacityResult {
  workload: RateAtCapacityOptions & { callers: number; endpoint: string };
  theoreticalPerSec: number;
  achievedPerSec: number;
  /** achieved / (C/T) with exactly C callers: every gap between two requests of a caller idles a connection. */
  rateRatio: number;
  errors: number;
  byStatus: Record<string, number>;
  /** C / achieved − T: the time per request outside the hold, from the rate alone. */
  outsideHoldMsFromRate: number;
  /** The mean cycle of one caller (request start to its next request start), measured. */
  cycleMs: number;
  /** The cycle cut into parts measured side by side in this run (their means add up to cycleMs). */
  parts: TimePart[];
  /**
   * The query part split: the same hold run by a direct client of PostgreSQL (one extra connection,
   * outside the service's pool) throughout the same run, and the rest of the part, which is the
   * service around the query (driver, pool, its event loop).
   */
  queryPart: { directRoundTrip: TimePart; serviceAroundQueryMs: number };
}

/** Per-request timestamps on this process's monotonic clock, and what the service says of its handler. */
interface RequestTiming {
  startMs: number;
  writtenMs: number;
  headersMs: number;
  endMs: number;
  handlerMs: number;
  status: number;
}

/** One GET on a keep-alive agent, timed at each stage node:http reports. */
function timedGet(agent: http.Agent, url: URL): Promise<RequestTiming> {
  return new Promise((resolve, reject) => {
    const startMs = performance.now();
    let writtenMs = Number.NaN;
    const request = http.get(url, { agent }, (response) => {
      const headersMs = performance.now();
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const endMs = performance.now();
        let handlerMs = Number.NaN;
        try {
          handlerMs = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { durationMs?: number }).durationMs);
        } catch {
          // Not the workload's JSON (an error answer): its status says so.
        }
        resolve({ startMs, writtenMs, headersMs, endMs, handlerMs, status: response.statusCode ?? 0 });
      });
      response.on('error', reject);
    });
    // 'finish': the whole request was handed to the operating system's socket.
    request.on('finish', () => {
      writtenMs = performance.now();
    });
    request.on('error', reject);
  });
}

const ACQUIRE_WAIT = 'dbpool_acquire_wait_seconds';

async function acquireWaits(backend: ServiceClient) {
  const read = readHistogram(parsePrometheusText(await backend.metricsText()), ACQUIRE_WAIT);
  if (!read) throw new Error(`the backend's /metrics has no ${ACQUIRE_WAIT}`);
  return read;
}

/**
 * Sustainable rate with exactly C closed-loop callers, each holding its connection T seconds: the
 * pool can only be busy while a request is inside the handler, so every millisecond a request
 * spends elsewhere (client, HTTP, the caller's turnaround) idles one connection. The rate says how
 * much that is in all; the parts say where it goes:
 *   client send       request start → request written to the socket (client clock)
 *   HTTP both ways    written → response headers at the client, less the handler's own time: the
 *                     loopback both ways and the service's HTTP work outside the handler (parse,
 *                     route, validate, serialize, write). One part: splitting it needs a timestamp
 *                     from the service per request, which the contract does not give
 *   acquire wait      the service's dbpool_acquire_wait_seconds over the run (mean only)
 *   query + release   the handler's own durationMs (in the response body) less the acquire wait:
 *                     the query round trip including the hold, then the release
 *   client receive    response headers → whole body at the client
 *   caller turnaround body received → the caller's next request start
 */
/** `SELECT pg_sleep(T)` again and again on a connection of its own until `deadline`: PostgreSQL's own time for the hold. */
async function directHolds(adminUrl: string, holdSeconds: number, deadline: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'bench:direct-hold' });
  await client.connect();
  try {
    const times: number[] = [];
    while (performance.now() < deadline) {
      const started = performance.now();
      await client.query('SELECT pg_sleep($1)', [holdSeconds]);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    await client.end();
  }
}

export async function measureRateAtCapacity(backend: ServiceClient, adminUrl: string, options: RateAtCapacityOptions): Promise<RateAtCapacityResult> {
  const callers = options.capacity;
  await configureBackendPool(backend, { poolSize: options.capacity, maxOverflow: 0, poolTimeoutSeconds: 30, maxQueue: callers * 2 });
  const url = new URL(`${backend.baseUrl}/api/work/hold?seconds=${options.holdSeconds}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: callers });
  try {
    const runCallers = async (seconds: number): Promise<{ timings: RequestTiming[]; turnarounds: number[]; wallMs: number }> => {
      const timings: RequestTiming[] = [];
      const turnarounds: number[] = [];
      const startedAt = performance.now();
      const deadline = startedAt + seconds * 1000;
      const caller = async () => {
        let lastEnd: number | undefined;
        while (performance.now() < deadline) {
          const timing = await timedGet(agent, url);
          if (lastEnd !== undefined) turnarounds.push(timing.startMs - lastEnd);
          lastEnd = timing.endMs;
          timings.push(timing);
        }
      };
      await Promise.all(Array.from({ length: callers }, caller));
      return { timings, turnarounds, wallMs: performance.now() - startedAt };
    };
    // Warm-up: the pool's connections and the agent's sockets open before anything counts.
    await runCallers(options.warmUpSeconds);
    const waitsBefore = await acquireWaits(backend);
    const [run, direct] = await Promise.all([
      runCallers(options.durationSeconds),
      directHolds(adminUrl, options.holdSeconds, performance.now() + options.durationSeconds * 1000),
    ]);
    const waits = difference(await acquireWaits(backend), waitsBefore);

    const ok = run.timings.filter((t) => t.status === 200 && Number.isFinite(t.handlerMs) && Number.isFinite(t.writtenMs));
    const theoreticalPerSec = options.capacity / options.holdSeconds;
    // Requests completed per second of the callers' run (the last requests finish after the deadline, so their time counts).
    const achievedPerSec = ok.length / (run.wallMs / 1000);
    const acquireWaitMs = waits.count > 0 ? (waits.sumSeconds / waits.count) * 1000 : 0;
    const part = (key: TimePart['key'], name: string, source: string, values: number[]): TimePart => {
      const histogram = new LatencyHistogram();
      for (const v of values) histogram.recordMs(Math.max(0, v));
      const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
      return { key, part: name, source, meanMs: round(mean, 3), p50Ms: histogram.percentileMs(50), p99Ms: histogram.percentileMs(99) };
    };
    const parts: TimePart[] = [
      part('clientSend', 'client send', 'client: request start → request written to the socket', ok.map((t) => t.writtenMs - t.startMs)),
      part('http', 'HTTP both ways, outside the handler', 'client: written → response headers, less the handler time the service reports', ok.map((t) => t.headersMs - t.writtenMs - t.handlerMs)),
      { key: 'acquireWait', part: 'pool acquire wait', source: `service: ${ACQUIRE_WAIT} over the run (mean only)`, meanMs: round(acquireWaitMs, 3) },
      part('query', 'query incl. the hold, and release', `service: handler durationMs less the mean acquire wait (the hold itself: ${options.holdSeconds * 1000} ms)`, ok.map((t) => t.handlerMs - acquireWaitMs)),
      part('clientReceive', 'client receive', 'client: response headers → whole body', ok.map((t) => t.endMs - t.headersMs)),
      part('turnaround', 'caller turnaround', 'client: body received → the next request start', run.turnarounds),
    ];
    const cycleMs = parts.reduce((sum, p) => sum + p.meanMs, 0);
    const directRoundTrip = part('directQuery', 'pg_sleep(T) by a direct client', 'client of PostgreSQL, own connection, same run: the query round trip incl. the hold', direct);
    const queryMs = parts.find((p) => p.key === 'query')!.meanMs;
    return {
      workload: { ...options, callers, endpoint: 'GET /api/work/hold' },
      theoreticalPerSec: round(theoreticalPerSec, 1),
      achievedPerSec: round(achievedPerSec, 1),
      rateRatio: round(achievedPerSec / theoreticalPerSec, 3),
      errors: run.timings.length - ok.length,
      byStatus: run.timings.reduce<Record<string, number>>((counts, t) => ({ ...counts, [t.status]: (counts[t.status] ?? 0) + 1 }), {}),
      outsideHoldMsFromRate: round((options.capacity / achievedPerSec) * 1000 - options.holdSeconds * 1000, 2),
      cycleMs: round(cycleMs, 2),
      parts,
      queryPart: { directRoundTrip, serviceAroundQueryMs: round(queryMs - directRoundTrip.meanMs, 3) },
    };
  } finally {
    agent.destroy();
  }
}
