import pg from 'pg';
import { DatabaseConnectionManager, databaseConfigFromEnv } from '../services/pool';
import { LatencyHistogram, round, type LatencySummary } from './latency-histogram';

export interface PoolOverheadOptions {
  callers: number;
  capacity: number;
  roundSeconds: number;
  roundsEach: number;
}

export interface PoolOverheadResult {
  workload: PoolOverheadOptions & { query: string; order: string };
  rawPoolThroughputPerSec: number;
  asyncPoolThroughputPerSec: number;
  /** asyncPool / rawPool throughput, median over the alternating pairs: 1 means no overhead; target >= 0.95. */
  poolOverheadRatio: number;
  /** The same ratio from the totals of all rounds (more sensitive to a noisy neighbour hitting one round). */
  totalThroughputRatio: number;
  /** Per alternating pair, so drift over the run is visible. */
  roundRatios: number[];
  /**
   * CPU this process spends per operation (pg client included): the layer's own cost, which
   * other processes competing for the machine disturb far less than they disturb throughput.
   */
  rawPoolCpuMicrosPerOp: number;
  asyncPoolCpuMicrosPerOp: number;
  rawPoolAcquireWait: LatencySummary;
  asyncPoolAcquireWait: LatencySummary;
  /** The issue names this one: the layer's acquire-wait p99. */
  acquireWaitP99Ms: number;
}

const QUERY = 'SELECT 1';

/** One way to run a query on a pooled connection, reporting how long the acquire waited. */
type Contender = (onAcquired: (waitedMs: number) => void) => Promise<void>;

interface RoundResult {
  operations: number;
  seconds: number;
  /** CPU time this process spent (user + system), in microseconds. */
  cpuMicros: number;
}

/**
 * Closed loop: `callers` callers each run their next operation as soon as the last finished, for
 * `seconds`. With callers >> capacity the pool is saturated the whole time, which is the workload
 * the overhead figure is about. (tinybench/mitata time one function at a time; this workload is
 * many concurrent callers, so the harness is a closed loop and the percentiles come from HdrHistogram.)
 */
async function runRound(contender: Contender, callers: number, seconds: number, waits: LatencyHistogram | undefined): Promise<RoundResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let operations = 0;
  const record = waits ? (ms: number) => waits.recordMs(ms) : () => undefined;
  const caller = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await contender(record);
      operations++;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const cpu = process.cpuUsage(cpuBefore);
  return { operations, seconds: (performance.now() - started) / 1000, cpuMicros: cpu.user + cpu.system };
}

/**
 * AsyncConnectionPool (through DatabaseConnectionManager.withConnection, as the service uses it:
 * metrics and health included) against a raw pg.Pool of the same capacity, on the same database,
 * in alternating rounds (raw/async, then async/raw, …) so drift in the machine hits both alike.
 */
export async function measurePoolOverhead(adminUrl: string, options: PoolOverheadOptions): Promise<PoolOverheadResult> {
  const raw = new pg.Pool({ connectionString: adminUrl, application_name: 'bench:raw-pg-pool', max: options.capacity, idleTimeoutMillis: 0 });
  raw.on('error', () => undefined); // an idle client whose server went away must not crash the bench
  const manager = new DatabaseConnectionManager(
    'bench:async-pool',
    databaseConfigFromEnv({
      DATABASE_URL: adminUrl,
      POOL_SIZE: String(options.capacity),
      MAX_OVERFLOW: '0',
      POOL_MAX_QUEUE: String(options.callers * 2),
      POOL_TIMEOUT: '30',
    }),
  );

  const rawContender: Contender = async (onAcquired) => {
    const asked = performance.now();
    const client = await raw.connect();
    onAcquired(performance.now() - asked);
    try {
      await client.query(QUERY);
    } finally {
      client.release();
    }
  };
  const asyncContender: Contender = async (onAcquired) => {
    const asked = performance.now();
    await manager.withConnection(async (connection) => {
      onAcquired(performance.now() - asked);
      await connection.query(QUERY);
    });
  };

  const rawWaits = new LatencyHistogram();
  const asyncWaits = new LatencyHistogram();
  const totals = { raw: { operations: 0, seconds: 0, cpuMicros: 0 }, async: { operations: 0, seconds: 0, cpuMicros: 0 } };
  const roundRatios: number[] = [];
  try {
    // Warm-up: open every connection and let the JIT settle before anything counts.
    await runRound(rawContender, options.callers, 1, undefined);
    await runRound(asyncContender, options.callers, 1, undefined);
    for (let pair = 0; pair < options.roundsEach; pair++) {
      const runRaw = () => runRound(rawContender, options.callers, options.roundSeconds, rawWaits);
      const runAsync = () => runRound(asyncContender, options.callers, options.roundSeconds, asyncWaits);
      const [rawRound, asyncRound] = pair % 2 === 0 ? [await runRaw(), await runAsync()] : await runAsyncFirst(runAsync, runRaw);
      for (const [key, result] of [['raw', rawRound], ['async', asyncRound]] as const) {
        totals[key].operations += result.operations;
        totals[key].seconds += result.seconds;
        totals[key].cpuMicros += result.cpuMicros;
      }
      roundRatios.push(round(asyncRound.operations / asyncRound.seconds / (rawRound.operations / rawRound.seconds), 3));
    }
  } finally {
    await Promise.all([raw.end(), manager.close()]);
  }

  const rawPoolThroughputPerSec = totals.raw.operations / totals.raw.seconds;
  const asyncPoolThroughputPerSec = totals.async.operations / totals.async.seconds;
  const asyncPoolAcquireWait = asyncWaits.summary();
  return {
    workload: { ...options, query: QUERY, order: 'alternating pairs (raw,async then async,raw, …) after a 1 s warm-up of each; ratio = median of the pairs' },
    rawPoolThroughputPerSec: round(rawPoolThroughputPerSec, 0),
    asyncPoolThroughputPerSec: round(asyncPoolThroughputPerSec, 0),
    poolOverheadRatio: median(roundRatios),
    totalThroughputRatio: round(asyncPoolThroughputPerSec / rawPoolThroughputPerSec, 3),
    roundRatios,
    rawPoolCpuMicrosPerOp: round(totals.raw.cpuMicros / totals.raw.operations, 1),
    asyncPoolCpuMicrosPerOp: round(totals.async.cpuMicros / totals.async.operations, 1),
    rawPoolAcquireWait: rawWaits.summary(),
    asyncPoolAcquireWait,
    acquireWaitP99Ms: asyncPoolAcquireWait.p99Ms,
  };
}

async function runAsyncFirst<R>(runAsync: () => Promise<R>, runRaw: () => Promise<R>): Promise<[R, R]> {
  const asyncRound = await runAsync();
  const rawRound = await runRaw();
  return [rawRound, asyncRound];
}

/** The median of per-pair ratios: a burst of load from elsewhere on the machine spoils one pair, not the figure. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : round((sorted[middle - 1]! + sorted[middle]!) / 2, 3);
}
