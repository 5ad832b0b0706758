import pg from 'pg';
import { DatabaseConnectionManager, databaseConfigFromEnv } from '../services/pool';
import { profileDuring, readProfileSummary, selfTimeByOwner, topSelfTime, type SelfTimeEntry } from './cpu-profile';
import { LatencyHistogram, round, type LatencySummary } from './latency-histogram';

export interface PoolOverheadOptions {
  callers: number;
  capacity: number;
  roundSeconds: number;
  roundsEach: number;
  /** After the rounds, profile the async contender this long; 0: no profile (default 3). */
  profileSeconds?: number;
}

/** The top self-time entries of one CPU profile of the async contender (bench/cpu-profile.ts). */
export interface ContenderProfile {
  recordedAt: string;
  /** What was profiled: the code of that moment. */
  note: string;
  cpuMicrosPerOp: number;
  top: SelfTimeEntry[];
  byOwner: Array<{ owner: string; percent: number }>;
}

export interface PoolOverheadResult {
  workload: PoolOverheadOptions & { query: string; order: string };
  rawPoolThroughputPerSec: number;
  asyncPoolThroughputPerSec: number;
  /** asyncPool / rawPool throughput, median over the rounds: 1 means no overhead; target >= 0.97. */
  poolOverheadRatio: number;
  /** The same ratio from the totals of all rounds (more sensitive to a noisy neighbour hitting one round). */
  totalThroughputRatio: number;
  /** Per round, so drift over the run is visible. */
  roundRatios: number[];
  /**
   * The harness checked against itself: a second raw pg.Pool, identical to the first, run in the
   * same rounds (median of its per-round ratio to the first). About 1 when the harness is fair;
   * its spread says how much of a difference between the contenders is noise. The raw figures
   * above and the ratios use both raw pools (their mean per round): a steadier baseline.
   */
  rawVsRawRatio: number;
  rawVsRawRoundRatios: number[];
  /**
   * CPU this process spends per operation (pg client included): the layer's own cost, which
   * other processes competing for the machine disturb far less than they disturb throughput.
   */
  rawPoolCpuMicrosPerOp: number;
  asyncPoolCpuMicrosPerOp: number;
  /** asyncPoolCpuMicrosPerOp / rawPoolCpuMicrosPerOp, median over the rounds; target <= 1.10. */
  cpuPerOpRatio: number;
  rawPoolAcquireWait: LatencySummary;
  asyncPoolAcquireWait: LatencySummary;
  /** The issue names this one: the layer's acquire-wait p99. */
  acquireWaitP99Ms: number;
  /** Where the async contender's CPU goes: before the hot path was trimmed (recorded once), and now. */
  profile?: { before: ContenderProfile | undefined; after: ContenderProfile };
}

const QUERY = 'SELECT 1';
const DEFAULT_PROFILE_SECONDS = 3;

/** One way to run a query on a pooled connection, reporting how long the acquire waited. */
export type Contender = (onAcquired: (waitedMs: number) => void) => Promise<void>;

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
export async function runRound(contender: Contender, callers: number, seconds: number, waits: LatencyHistogram | undefined): Promise<RoundResult> {
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

/** The two contenders on one database, each with the same capacity. */
export interface PoolContenders {
  /** A raw pg.Pool: connect, query, release. */
  raw: Contender;
  /** DatabaseConnectionManager.withConnection, as the services use it. */
  async: Contender;
  close(): Promise<void>;
}

/** A raw pg.Pool of `capacity`: connect, query, release. */
function rawContender(adminUrl: string, capacity: number, applicationName: string): { contender: Contender; close(): Promise<void> } {
  const raw = new pg.Pool({ connectionString: adminUrl, application_name: applicationName, max: capacity, idleTimeoutMillis: 0 });
  raw.on('error', () => undefined); // an idle client whose server went away must not crash the bench
  return {
    contender: async (onAcquired) => {
      const asked = performance.now();
      const client = await raw.connect();
      onAcquired(performance.now() - asked);
      try {
        await client.query(QUERY);
      } finally {
        client.release();
      }
    },
    close: () => raw.end(),
  };
}

export function poolContenders(adminUrl: string, options: Pick<PoolOverheadOptions, 'callers' | 'capacity'>): PoolContenders {
  const raw = rawContender(adminUrl, options.capacity, 'bench:raw-pg-pool');
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
  return {
    raw: raw.contender,
    async: async (onAcquired) => {
      const asked = performance.now();
      await manager.withConnection(async (connection) => {
        onAcquired(performance.now() - asked);
        await connection.query(QUERY);
      });
    },
    close: async () => {
      await Promise.all([raw.close(), manager.close()]);
    },
  };
}

/** The three contenders of a round, in a rotating order so that none always runs first or last. */
const CONTENDERS = ['raw', 'async', 'rawCheck'] as const;
type ContenderName = (typeof CONTENDERS)[number];

/**
 * AsyncConnectionPool (through DatabaseConnectionManager.withConnection, as the service uses it:
 * metrics and health included) against a raw pg.Pool of the same capacity, on the same database,
 * in rounds whose order rotates so drift in the machine hits all alike; a second raw pool checks
 * the harness against itself.
 *
 * All connections are opened interleaved, by one warm-up second in which the three run at once:
 * on this machine, connections opened first serve measurably faster (identical raw pools opened
 * one after the other measured 0.93-0.95 of the first; opened interleaved, 0.99-1.00).
 */
export async function measurePoolOverhead(adminUrl: string, options: PoolOverheadOptions): Promise<PoolOverheadResult> {
  const contenders = poolContenders(adminUrl, options);
  const check = rawContender(adminUrl, options.capacity, 'bench:raw-pg-pool-check');
  const run: Record<ContenderName, Contender> = { raw: contenders.raw, async: contenders.async, rawCheck: check.contender };

  const rawWaits = new LatencyHistogram();
  const waits: Record<ContenderName, LatencyHistogram> = { raw: rawWaits, async: new LatencyHistogram(), rawCheck: rawWaits };
  const totals = Object.fromEntries(CONTENDERS.map((name) => [name, { operations: 0, seconds: 0, cpuMicros: 0 }])) as Record<ContenderName, RoundResult>;
  const roundRatios: number[] = [];
  const checkRatios: number[] = [];
  const cpuRatios: number[] = [];
  let profile: PoolOverheadResult['profile'];
  try {
    // Warm-up: open every connection, interleaved (see above), then let the JIT settle on each alone.
    await Promise.all(CONTENDERS.map((name) => runRound(run[name], options.callers, 1, undefined)));
    for (const name of CONTENDERS) await runRound(run[name], options.callers, 1, undefined);
    for (let index = 0; index < options.roundsEach; index++) {
      const results = {} as Record<ContenderName, RoundResult>;
      for (const name of rotated(CONTENDERS, index)) results[name] = await runRound(run[name], options.callers, options.roundSeconds, waits[name]);
      for (const name of CONTENDERS) {
        totals[name].operations += results[name].operations;
        totals[name].seconds += results[name].seconds;
        totals[name].cpuMicros += results[name].cpuMicros;
      }
      const rate = (name: ContenderName) => results[name].operations / results[name].seconds;
      const cpuPerOp = (name: ContenderName) => results[name].cpuMicros / results[name].operations;
      roundRatios.push(round(rate('async') / ((rate('raw') + rate('rawCheck')) / 2), 3));
      checkRatios.push(round(rate('rawCheck') / rate('raw'), 3));
      cpuRatios.push(round(cpuPerOp('async') / ((cpuPerOp('raw') + cpuPerOp('rawCheck')) / 2), 3));
    }
    const profileSeconds = options.profileSeconds ?? DEFAULT_PROFILE_SECONDS;
    if (profileSeconds > 0) profile = { before: await profileBefore(), after: await profileAsync(run.async, options.callers, profileSeconds) };
  } finally {
    await Promise.all([contenders.close(), check.close()]);
  }

  const raw = { operations: totals.raw.operations + totals.rawCheck.operations, seconds: totals.raw.seconds + totals.rawCheck.seconds, cpuMicros: totals.raw.cpuMicros + totals.rawCheck.cpuMicros };
  const rawPoolThroughputPerSec = raw.operations / raw.seconds;
  const asyncPoolThroughputPerSec = totals.async.operations / totals.async.seconds;
  const asyncPoolAcquireWait = waits.async.summary();
  return {
    workload: {
      ...options,
      query: QUERY,
      order:
        'connections opened interleaved (1 s of all three at once), 1 s warm-up of each, then rounds of raw, async and a second identical raw pool in rotating order; raw = both raw pools; ratios = medians over the rounds of async / mean of the two raw pools',
    },
    rawPoolThroughputPerSec: round(rawPoolThroughputPerSec, 0),
    asyncPoolThroughputPerSec: round(asyncPoolThroughputPerSec, 0),
    poolOverheadRatio: median(roundRatios),
    totalThroughputRatio: round(asyncPoolThroughputPerSec / rawPoolThroughputPerSec, 3),
    roundRatios,
    rawVsRawRatio: median(checkRatios),
    rawVsRawRoundRatios: checkRatios,
    rawPoolCpuMicrosPerOp: round(raw.cpuMicros / raw.operations, 1),
    asyncPoolCpuMicrosPerOp: round(totals.async.cpuMicros / totals.async.operations, 1),
    cpuPerOpRatio: median(cpuRatios),
    rawPoolAcquireWait: waits.raw.summary(),
    asyncPoolAcquireWait,
    acquireWaitP99Ms: asyncPoolAcquireWait.p99Ms,
    ...(profile ? { profile } : {}),
  };
}

function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** The profile recorded before the hot path was trimmed (bench/profile-pool.ts --save before), if kept. */
async function profileBefore(): Promise<ContenderProfile | undefined> {
  const saved = await readProfileSummary('before');
  return saved && { recordedAt: saved.recordedAt, note: 'before the hot path was trimmed', cpuMicrosPerOp: saved.cpuMicrosPerOp, top: saved.top, byOwner: saved.byOwner };
}

async function profileAsync(contender: Contender, callers: number, seconds: number): Promise<ContenderProfile> {
  const { result, profile } = await profileDuring(() => runRound(contender, callers, seconds, undefined));
  return {
    recordedAt: new Date().toISOString(),
    note: 'this run (profiler on: CPU per operation is higher than in the rounds)',
    cpuMicrosPerOp: round(result.cpuMicros / result.operations, 1),
    top: topSelfTime(profile, 15),
    byOwner: selfTimeByOwner(profile).slice(0, 12),
  };
}

/** The median of per-round ratios: a burst of load from elsewhere on the machine spoils one round, not the figure. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : round((sorted[middle - 1]! + sorted[middle]!) / 2, 3);
}
