import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatencyHistogram, round } from './latency-histogram';

/*
 * An open-loop, constant-arrival-rate load generator (wrk2's and k6's "constant-arrival-rate"):
 * the send time of every request is fixed before the run starts (request i at i / rate seconds),
 * requests go out on that schedule whether or not earlier ones were answered, and each latency is
 * counted from the request's *intended* send time. A stall anywhere (the service, the machine, this
 * generator's own event loop) therefore shows in the latencies of every request that should have
 * been sent during it, instead of hiding itself (coordinated omission). How late the generator
 * itself sent (actual − intended) is recorded too, so a figure can be read against its own lag.
 *
 * Why hand-written (about 60 lines over undici and hdr-histogram-js): among the tools this machine
 * can install, autocannon, wrk (Debian) and hey (Debian) are closed-loop (hey's -q throttles each
 * closed-loop worker); autocannon's overallRate and loadtest's requestsPerSecond pace sends but
 * time each answer from its actual send, so a late send hides its delay; artillery's arrival rate
 * creates virtual users, far too heavy for 1000 requests/s beside the service on 2 cores. wrk2, k6,
 * vegeta and oha are not packaged for npm or Debian here.
 */

/** One request of the schedule: its position and when it is due, in ms after the run's start. */
export interface ScheduledSend {
  index: number;
  intendedMs: number;
}

/** The send times, fixed in advance: request i is due i / rate seconds after the start. */
export class ArrivalSchedule {
  readonly total: number;
  private next = 0;

  constructor(
    readonly ratePerSec: number,
    readonly durationSeconds: number,
  ) {
    if (!(ratePerSec > 0) || !(durationSeconds > 0)) throw new Error(`an open-loop schedule needs a positive rate and duration: ${ratePerSec}/s for ${durationSeconds} s`);
    this.total = Math.round(ratePerSec * durationSeconds);
  }

  intendedMs(index: number): number {
    return (index * 1000) / this.ratePerSec;
  }

  /** The sends due at `elapsedMs` that were not taken yet, in schedule order. */
  takeDue(elapsedMs: number): ScheduledSend[] {
    const due: ScheduledSend[] = [];
    while (this.next < this.total && this.intendedMs(this.next) <= elapsedMs) {
      due.push({ index: this.next, intendedMs: this.intendedMs(this.next) });
      this.next++;
    }
    return due;
  }

  /** How long until the next send is due (0 when one is due already); undefined once all were taken. */
  msUntilNext(elapsedMs: number): number | undefined {
    return this.next < this.total ? Math.max(0, this.intendedMs(this.next) - elapsedMs) : undefined;
  }

  get taken(): number {
    return this.next;
  }
}

export interface PercentilesMs {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface OpenLoopFigures {
  scheduled: number;
  sent: number;
  answered: number;
  /** Requests with no HTTP answer (connection error or timeout): their latency is not in the histograms. */
  unanswered: number;
  byStatus: Record<string, number>;
  errors: Record<string, number>;
  /** From the intended send time to the whole answer: the figure to judge (no coordinated omission). */
  latency: PercentilesMs;
  /** From the actual send to the whole answer: what a generator that ignores its own lag would report. */
  latencyFromActualSend: PercentilesMs;
  /** The generator's own lag: actual send − intended send. */
  sendLag: PercentilesMs;
  /** Sends later than `lateThresholdMs` after their intended time. */
  lateSends: number;
  lateThresholdMs: number;
  /** Sends that found no free connection in the client's pool and queued inside the client (part of their lag). */
  sendsQueuedInClient: number;
}

function percentiles(histogram: LatencyHistogram): PercentilesMs {
  return { count: histogram.count, p50Ms: histogram.percentileMs(50), p99Ms: histogram.percentileMs(99), p999Ms: histogram.percentileMs(99.9), maxMs: histogram.percentileMs(100) };
}

/** The accounting of one open-loop run: every scheduled request is sent once and ends answered or unanswered. */
export class OpenLoopLedger {
  private readonly latency = new LatencyHistogram();
  private readonly fromActualSend = new LatencyHistogram();
  private readonly lag = new LatencyHistogram();
  private readonly byStatus: Record<string, number> = {};
  private readonly errors: Record<string, number> = {};
  private sent = 0;
  private answered = 0;
  private unanswered = 0;
  private late = 0;
  private queuedInClient = 0;

  constructor(
    private readonly scheduled: number,
    readonly lateThresholdMs: number,
  ) {}

  recordSend(send: ScheduledSend, sentMs: number, queuedInClient: boolean): void {
    const lagMs = sentMs - send.intendedMs;
    this.sent++;
    this.lag.recordMs(lagMs);
    if (lagMs > this.lateThresholdMs) this.late++;
    if (queuedInClient) this.queuedInClient++;
  }

  recordAnswer(send: ScheduledSend, sentMs: number, answeredMs: number, status: number): void {
    this.answered++;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    this.latency.recordMs(answeredMs - send.intendedMs);
    this.fromActualSend.recordMs(answeredMs - sentMs);
  }

  recordNoAnswer(reason: string): void {
    this.unanswered++;
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
  }

  figures(): OpenLoopFigures {
    return {
      scheduled: this.scheduled,
      sent: this.sent,
      answered: this.answered,
      unanswered: this.unanswered,
      byStatus: { ...this.byStatus },
      errors: { ...this.errors },
      latency: percentiles(this.latency),
      latencyFromActualSend: percentiles(this.fromActualSend),
      sendLag: percentiles(this.lag),
      lateSends: this.late,
      lateThresholdMs: this.lateThresholdMs,
      sendsQueuedInClient: this.queuedInClient,
    };
  }
}

/** What the run loop needs from the outside world; the tests give it a fake clock and fake sends. */
export interface OpenLoopIo {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Sends one request; resolves with its status when the whole answer is in. */
  send(): { queuedInClient: boolean; answer: Promise<number> };
}

/**
 * Runs a schedule: at every wake-up, sends everything due (a late wake-up sends the backlog at
 * once, each request keeping its own intended time), then sleeps until the next send is due.
 * Resolves when every request was sent and has ended.
 */
export async function runSchedule(schedule: ArrivalSchedule, ledger: OpenLoopLedger, io: OpenLoopIo): Promise<void> {
  const startedAt = io.now();
  const elapsed = (): number => io.now() - startedAt;
  const pending: Array<Promise<void>> = [];
  for (;;) {
    for (const send of schedule.takeDue(elapsed())) {
      const sentMs = elapsed();
      const { queuedInClient, answer } = io.send();
      ledger.recordSend(send, sentMs, queuedInClient);
      pending.push(
        answer.then(
          (status) => ledger.recordAnswer(send, sentMs, elapsed(), status),
          (error: unknown) => ledger.recordNoAnswer((error as { code?: string }).code ?? String(error)),
        ),
      );
    }
    const wait = schedule.msUntilNext(elapsed());
    if (wait === undefined) break;
    await io.sleep(wait);
  }
  await Promise.all(pending);
}

export interface OpenLoopOptions {
  url: string;
  ratePerSec: number;
  durationSeconds: number;
  /** Keep-alive connections the client may open: enough that sends never wait for one. */
  connections: number;
  /** A send later than this after its intended time counts as late (the timer's own resolution is ~1 ms). */
  lateThresholdMs: number;
  requestTimeoutMs: number;
}

export interface OpenLoopResult extends OpenLoopFigures {
  target: string;
  ratePerSec: number;
  durationSeconds: number;
  connections: number;
  /** From the first intended send to the last answer. */
  wallSeconds: number;
  /** CPU time of this process over the run / its wall time (1 = one core busy): everything the process did then. */
  generatorCpuShare: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/** Bounds that keep a typo from flooding the machine. */
const MAX_RATE_PER_SEC = 20_000;
const MAX_DURATION_SECONDS = 120;

/** An open-loop run against one URL on this machine, through undici's keep-alive Pool. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(options.url);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`open-loop load goes to this machine only: ${url.hostname} is not loopback`);
  if (options.ratePerSec > MAX_RATE_PER_SEC || options.durationSeconds > MAX_DURATION_SECONDS) {
    throw new Error(`${options.ratePerSec}/s for ${options.durationSeconds} s is not allowed: at most ${MAX_RATE_PER_SEC}/s for ${MAX_DURATION_SECONDS} s`);
  }
  const schedule = new ArrivalSchedule(options.ratePerSec, options.durationSeconds);
  const ledger = new OpenLoopLedger(schedule.total, options.lateThresholdMs);
  const client = new Pool(url.origin, { connections: options.connections, pipelining: 1, headersTimeout: options.requestTimeoutMs, bodyTimeout: options.requestTimeoutMs });
  const path = `${url.pathname}${url.search}`;
  // undici's low-level dispatch: no response stream or body object per request, so the generator
  // spends as little of the shared CPU as it can on each answer.
  const dispatch = (): Promise<number> =>
    new Promise((resolve, reject) => {
      let status = 0;
      client.dispatch(
        { method: 'GET', path, origin: url.origin },
        {
          // undici takes a handler as the new kind (onResponse…) only when it has onRequestStart.
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseEnd: () => resolve(status),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  const io: OpenLoopIo = {
    now: () => performance.now(),
    sleep: (ms) => sleep(ms),
    send: () => {
      const answer = dispatch();
      // dispatch() is synchronous: a request that found no free connection is now in the pool's
      // own queue (and one behind a queued request is queued too).
      return { queuedInClient: client.stats.queued > 0, answer };
    },
  };
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  try {
    await runSchedule(schedule, ledger, io);
  } finally {
    await client.close();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - startedAt;
  return {
    target: options.url,
    ratePerSec: options.ratePerSec,
    durationSeconds: options.durationSeconds,
    connections: options.connections,
    wallSeconds: round(wallMs / 1000, 2),
    generatorCpuShare: round((cpu.user + cpu.system) / 1000 / wallMs, 3),
    ...ledger.figures(),
  };
}
