import { Pool } from 'undici';
import { REQUEST } from '../timeouts';
import { Progress, formatRemaining } from './progress';
import { LoadAccounting, type LoadFigures } from './accounting';
import { durationOf, maxCallers, segmentAt, type LoadProfile } from './profiles';

/**
 * The closed-loop load generator: N callers, each sending its next request when its last one was
 * answered, N following the profile's schedule (a sustained level, spikes). Built on undici's Pool
 * (one keep-alive connection per caller) with latencies in an HdrHistogram. autocannon was the
 * other candidate; it has a fixed connection count for the whole run (no spikes on a schedule) and
 * reports no p95, which the plan's figures need.
 */

export interface LoadTarget {
  baseUrl: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. /api/work/hold?seconds=0.2 */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /**
   * Whether an answer is a success, when the status alone does not say it (GraphQL answers a failed
   * query with 200): a 2xx it rejects counts as an error. Without it, every 2xx is a success.
   */
  success?: (status: number, body: string) => boolean;
}

export interface LoadResult extends LoadFigures {
  target: string;
  profile: LoadProfile;
  /** Epoch ms, on the suite's clock (the timeline's clock too). */
  startedAt: number;
  finishedAt: number;
  /** From the first request to the last answer (the schedule plus the last requests draining). */
  durationMs: number;
}

export interface LoadOptions {
  /** A request unanswered after this long counts as "no answer" (an error). */
  requestTimeoutMs?: number;
  progress?: Progress;
  /** Tells the caller when a segment starts (e.g. to log it). */
  onSegment?: (name: string) => void;
}

/** Bounds that keep a typo from flooding the machine. */
const MAX_CALLERS = 500;
const MAX_DURATION_MS = 15 * 60_000;
const TICK_MS = 20;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function checkBounds(target: LoadTarget, profile: LoadProfile): URL {
  const url = new URL(target.baseUrl);
  if (!LOOPBACK.has(url.hostname) && process.env.LOAD_ALLOW_REMOTE !== 'on') {
    throw new Error(`load goes to 127.0.0.1 only: ${url.hostname} is not loopback (set LOAD_ALLOW_REMOTE=on for a deployment you own)`);
  }
  if (maxCallers(profile) > MAX_CALLERS) throw new Error(`${maxCallers(profile)} callers is not allowed: at most ${MAX_CALLERS}`);
  if (durationOf(profile) > MAX_DURATION_MS) throw new Error(`a load of ${durationOf(profile)} ms is not allowed: at most ${MAX_DURATION_MS} ms`);
  return url;
}

export async function runClosedLoop(target: LoadTarget, profile: LoadProfile, options: LoadOptions = {}): Promise<LoadResult> {
  const url = checkBounds(target, profile);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST.load;
  const progress = options.progress ?? new Progress();
  const accounting = new LoadAccounting(profile);
  const pool = new Pool(url.origin, { connections: maxCallers(profile), pipelining: 1, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
  const durationMs = durationOf(profile);
  const startedAt = Date.now();
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const callers = new Map<number, Promise<void>>();
  let wanted = 0;
  let inFlight = 0;
  let lastId = 0;

  const send = async (): Promise<void> => {
    const id = ++lastId;
    const sentAt = elapsed();
    accounting.sent(id, sentAt);
    let status = 0;
    let error: string | undefined;
    inFlight++;
    try {
      const response = await pool.request({ method: target.method ?? 'GET', path: target.path, headers: target.headers, body: target.body });
      status = response.statusCode;
      if (target.success && status >= 200 && status < 300) {
        if (!target.success(status, await response.body.text())) error = `answered ${status}, not a success by the target's rule`;
      } else {
        await response.body.dump();
      }
    } catch (caught) {
      error = (caught as { code?: string }).code ?? (caught as Error).message;
    } finally {
      inFlight--;
    }
    accounting.record(id, sentAt, elapsed() - sentAt, status, error, status >= 200 && status < 300 && error !== undefined);
  };

  // A caller in slot i runs while the schedule wants more than i callers; it leaves after its last answer.
  const caller = async (slot: number): Promise<void> => {
    try {
      while (slot < wanted) await send();
    } finally {
      callers.delete(slot);
    }
  };

  try {
    await new Promise<void>((resolve) => {
      let segmentName = '';
      const tick = (): void => {
        const now = elapsed();
        const segment = segmentAt(profile, now);
        if (!segment) {
          clearInterval(timer);
          wanted = 0;
          resolve();
          return;
        }
        wanted = segment.callers;
        for (let slot = 0; slot < wanted; slot++) if (!callers.has(slot)) callers.set(slot, caller(slot));
        accounting.sampleConcurrency(now, inFlight);
        if (segment.name !== segmentName) {
          segmentName = segment.name;
          options.onSegment?.(segment.name);
        }
        const { sent, other, '429': r429, '503': r503 } = accounting.runningTotals();
        progress.update(
          `load · ${segment.name} · ${segment.callers} callers · ${formatRemaining(segment.toMs - now)} left in phase, ${formatRemaining(durationMs - now)} in all · ${sent} sent, ${other} errors, ${r429 + r503} shed`,
        );
      };
      const timer = setInterval(tick, TICK_MS);
      tick();
    });
    // The last requests of every caller still count: wait for their answers.
    await Promise.all(callers.values());
  } finally {
    progress.done();
    await pool.close();
  }
  const finishedAt = Date.now();
  return { target: `${url.origin}${target.path}`, profile, startedAt, finishedAt, durationMs: finishedAt - startedAt, ...accounting.figures() };
}
