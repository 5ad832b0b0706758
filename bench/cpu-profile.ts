import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import path from 'node:path';
import { RESULTS_DIR } from './results-dir';

/**
 * CPU profiles of a phase of this process, in V8's .cpuprofile format (the one `node --cpu-prof`
 * writes and Chrome DevTools opens), and their top self-time entries.
 *
 * The profiler is started through node:inspector rather than `node --cpu-prof` so that it covers
 * only the measured phase: with --cpu-prof the profile starts at process start, and ts-node's
 * compilation and the warm-up would crowd the pool's own entries out of the top.
 */

/** The parts of V8's profile format that the top entries need. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    hitCount?: number;
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's own time (not its callees'), summed over every call path it appears on. */
export interface SelfTimeEntry {
  /** `functionName file:line` (file relative to the repository, or `pkg/…` inside node_modules). */
  entry: string;
  selfMs: number;
  /** Share of all sampled time, in percent. */
  percent: number;
}

const REPO_ROOT = path.resolve(__dirname, '..');
const SAMPLING_INTERVAL_US = 100;

/** Runs `work` with the V8 sampling profiler on and returns the profile of exactly that phase. */
export async function profileDuring<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params?: object) =>
    new Promise<R>((resolve, reject) => session.post(method, params ?? {}, (error, answer) => (error ? reject(error) : resolve(answer as R))));
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await post('Profiler.start');
    const result = await work();
    const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

export async function saveProfile(profile: CpuProfile, file: string): Promise<void> {
  await writeFile(file, JSON.stringify(profile));
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const inModules = file.lastIndexOf('/node_modules/');
  if (inModules >= 0) return file.slice(inModules + '/node_modules/'.length);
  return file.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, file) : file;
}

/** Self time per node id, in ms: from the samples and their time deltas when present, else hitCount × interval. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length === timeDeltas.length && samples.length > 0) {
    // timeDeltas[i] is the time before sample i; the sample's own duration is the next delta.
    for (let i = 0; i < samples.length; i++) {
      const duration = (timeDeltas[i + 1] ?? SAMPLING_INTERVAL_US) / 1000;
      self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + duration);
    }
    return self;
  }
  for (const node of profile.nodes) self.set(node.id, ((node.hitCount ?? 0) * SAMPLING_INTERVAL_US) / 1000);
  return self;
}

/**
 * Self time summed per key (`(idle)` left out: it is time not spent), largest first, with the total
 * it is a share of.
 */
function selfTimeBy(profile: CpuProfile, keyOf: (callFrame: CpuProfile['nodes'][number]['callFrame']) => string): { sums: Array<[string, number]>; total: number } {
  const self = selfTimes(profile);
  const sums = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0 || node.callFrame.functionName === '(idle)') continue;
    const key = keyOf(node.callFrame);
    sums.set(key, (sums.get(key) ?? 0) + ms);
    total += ms;
  }
  return { sums: [...sums.entries()].sort((a, b) => b[1] - a[1]), total };
}

/**
 * The top self-time entries, aggregated by function name and script (and line, so that two
 * anonymous functions of one file stay apart).
 */
export function topSelfTime(profile: CpuProfile, count = 15): SelfTimeEntry[] {
  const { sums, total } = selfTimeBy(profile, ({ functionName, url, lineNumber }) => {
    const where = shortUrl(url);
    return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
  });
  return sums.slice(0, count).map(([entry, ms]) => ({ entry, selfMs: Math.round(ms * 10) / 10, percent: Math.round((ms / total) * 1000) / 10 }));
}

/** Who owns a script: a package in node_modules, a folder of this repository, node core, or V8 itself. */
function ownerOf(callFrame: CpuProfile['nodes'][number]['callFrame']): string {
  const { url, functionName } = callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const inModules = file.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const [scopeOrName, name] = file.slice(inModules + '/node_modules/'.length).split('/');
    return scopeOrName?.startsWith('@') ? `${scopeOrName}/${name}` : (scopeOrName ?? file);
  }
  return file.startsWith(REPO_ROOT) ? path.dirname(path.relative(REPO_ROOT, file)) : file;
}

/** Self time per package (node_modules), repository folder, node core or V8: where the time goes, in coarse strokes. */
export function selfTimeByOwner(profile: CpuProfile): Array<{ owner: string; percent: number }> {
  const { sums, total } = selfTimeBy(profile, ownerOf);
  return sums.map(([owner, ms]) => ({ owner, percent: Math.round((ms / total) * 1000) / 10 }));
}

export function renderTop(entries: readonly SelfTimeEntry[]): string {
  return entries.map((e, i) => `${String(i + 1).padStart(3)}. ${e.percent.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(1).padStart(8)} ms  ${e.entry}`).join('\n');
}

/** What `--save <label>` keeps, and what the bench's pool part reads back as the profile before a change. */
export interface PoolProfileSummary {
  label: string;
  recordedAt: string;
  contender: 'async' | 'raw';
  seconds: number;
  operations: number;
  cpuMicrosPerOp: number;
  top: SelfTimeEntry[];
  byOwner: Array<{ owner: string; percent: number }>;
}

export function profileSummaryFile(label: string): string {
  return path.join(RESULTS_DIR, `pool-profile-${label}.json`);
}

export async function readProfileSummary(label: string): Promise<PoolProfileSummary | undefined> {
  try {
    return JSON.parse(await readFile(profileSummaryFile(label), 'utf8')) as PoolProfileSummary;
  } catch {
    return undefined;
  }
}

