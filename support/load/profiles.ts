/**
 * Load profiles: the plan's load levels as a schedule of contiguous segments, each with a number of
 * closed-loop callers. "80% of pool capacity" is a count of callers, each holding one connection per
 * request, so concurrency == connections in use (DESIGN §5), not a guess in requests per second.
 */

export type SegmentKind = 'steady' | 'sustained' | 'spike';

export interface LoadSegment {
  /** Shown in the report and the progress line, e.g. "spike 1 (120%)". */
  name: string;
  kind: SegmentKind;
  /** Milliseconds from the start of the load. */
  fromMs: number;
  toMs: number;
  callers: number;
  /** The share of pool capacity the callers stand for. */
  percent: number;
}

export interface LoadProfile {
  capacity: number;
  /** How long each request holds its connection (the backend's /api/work/hold). */
  holdSeconds: number;
  segments: LoadSegment[];
}

/** Short enough that a caller's request rate is high, long enough that concurrency shows in the pool. */
export const DEFAULT_HOLD_SECONDS = 0.2;

export function callersFor(capacity: number, percent: number): number {
  const callers = Math.round((capacity * percent) / 100);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`pool capacity ${capacity} is not allowed: expected a positive integer`);
  if (!(percent > 0) || callers < 1) throw new Error(`${percent}% of capacity ${capacity} is not allowed: it must make at least one caller`);
  return callers;
}

export function durationOf(profile: LoadProfile): number {
  return profile.segments.at(-1)?.toMs ?? 0;
}

export function maxCallers(profile: LoadProfile): number {
  return Math.max(0, ...profile.segments.map((s) => s.callers));
}

/** One level for the whole duration. */
export function steadyLoad(capacity: number, percent: number, durationMs: number, holdSeconds = DEFAULT_HOLD_SECONDS): LoadProfile {
  if (!(durationMs > 0)) throw new Error(`load duration ${durationMs} ms is not allowed: expected more than 0`);
  return {
    capacity,
    holdSeconds,
    segments: [{ name: `steady ${percent}%`, kind: 'steady', fromMs: 0, toMs: durationMs, callers: callersFor(capacity, percent), percent }],
  };
}

export interface SpikeSchedule {
  capacity: number;
  percent: number;
  durationMs: number;
  spikePercent: number;
  spikeMs: number;
  /** A spike starts every `everyMs`, the first one `everyMs` after the start, while it ends before the load does. */
  everyMs: number;
  holdSeconds?: number;
}

/** A sustained level with spikes on a schedule: sustained, spike 1, sustained, spike 2, ..., sustained. */
export function sustainedWithSpikes(schedule: SpikeSchedule): LoadProfile {
  const { capacity, percent, durationMs, spikePercent, spikeMs, everyMs } = schedule;
  if (!(spikeMs > 0) || !(everyMs > spikeMs)) throw new Error(`spikes of ${spikeMs} ms every ${everyMs} ms are not allowed: a spike must be shorter than the interval`);
  const sustained = callersFor(capacity, percent);
  const spike = callersFor(capacity, spikePercent);
  const segments: LoadSegment[] = [];
  let cursor = 0;
  for (let index = 1; index * everyMs + spikeMs < durationMs; index++) {
    const from = index * everyMs;
    segments.push({ name: `sustained ${percent}%`, kind: 'sustained', fromMs: cursor, toMs: from, callers: sustained, percent });
    segments.push({ name: `spike ${index} (${spikePercent}%)`, kind: 'spike', fromMs: from, toMs: from + spikeMs, callers: spike, percent: spikePercent });
    cursor = from + spikeMs;
  }
  if (segments.length === 0) throw new Error(`no spike of ${spikeMs} ms every ${everyMs} ms fits in ${durationMs} ms of load`);
  segments.push({ name: `sustained ${percent}%`, kind: 'sustained', fromMs: cursor, toMs: durationMs, callers: sustained, percent });
  return { capacity, holdSeconds: schedule.holdSeconds ?? DEFAULT_HOLD_SECONDS, segments };
}

/** The segment running at `ms` from the start (the last one at or after the end). */
export function segmentAt(profile: LoadProfile, ms: number): LoadSegment | undefined {
  return profile.segments.find((s) => ms >= s.fromMs && ms < s.toMs);
}
