import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FloodResult } from './flood-refusal';
import type { PoolOverheadResult } from './pool-overhead';
import type { RateAtCapacityResult } from './rate-at-capacity';
import type { RefusalLatencyResult } from './refusal-latency';
import type { SuiteCostResult } from './suite-cost';
import type { SustainableRateResult } from './sustainable-rate';

import { RESULTS_DIR } from './results-dir';

export { RESULTS_DIR };

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  postgres: string | undefined;
}

export interface BenchDetails {
  poolOverhead?: PoolOverheadResult & { measuredAt: string };
  floodRefusal?: FloodResult & { measuredAt: string };
  sustainableRate?: SustainableRateResult & { measuredAt: string };
  suiteCost?: SuiteCostResult & { measuredAt: string };
  refusalLatency?: RefusalLatencyResult & { measuredAt: string };
  rateAtCapacity?: RateAtCapacityResult & { measuredAt: string };
}

/** One figure of DESIGN.md section 7 / issue 7: its value, the issue's target, and whether it was met. */
interface Figure {
  key: string;
  label: string;
  value: number | undefined;
  unit: string;
  target?: { op: '>=' | '<=' | '<' | '=='; limit: number };
  /** Shown instead of a value that could not be measured, saying why. */
  note?: string;
}

export interface BenchResults {
  date: string;
  machine: Machine;
  /** Flat, plainly named figures; details below say how each was measured. */
  figures: Record<string, number | undefined>;
  targets: Record<string, string>;
  verdicts: Record<string, 'met' | 'missed' | 'not measured'>;
  details: BenchDetails;
}

export function describeMachine(postgres: string | undefined): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
  };
}

function figuresOf(details: BenchDetails): Figure[] {
  const { poolOverhead: po, floodRefusal: fr, sustainableRate: sr, suiteCost: sc } = details;
  return [
    { key: 'poolOverheadRatio', label: 'Pool overhead: async / raw pg.Pool throughput (median of rounds)', value: po?.poolOverheadRatio, unit: 'x', target: { op: '>=', limit: 0.97 } },
    { key: 'poolOverheadTotalRatio', label: '  same, from the totals of all rounds', value: po?.totalThroughputRatio, unit: 'x' },
    { key: 'poolCpuPerOpRatio', label: '  CPU per operation: async / raw (median of rounds)', value: po?.cpuPerOpRatio, unit: 'x', target: { op: '<=', limit: 1.1 } },
    { key: 'rawVsRawRatio', label: '  harness check: second raw pool / raw (ideal 1)', value: po?.rawVsRawRatio, unit: 'x' },
    { key: 'rawPoolThroughputPerSec', label: '  raw pg.Pool throughput', value: po?.rawPoolThroughputPerSec, unit: 'ops/s' },
    { key: 'asyncPoolThroughputPerSec', label: '  AsyncConnectionPool throughput', value: po?.asyncPoolThroughputPerSec, unit: 'ops/s' },
    { key: 'rawPoolCpuMicrosPerOp', label: '  raw pg.Pool CPU per operation', value: po?.rawPoolCpuMicrosPerOp, unit: 'µs' },
    { key: 'asyncPoolCpuMicrosPerOp', label: '  AsyncConnectionPool CPU per operation', value: po?.asyncPoolCpuMicrosPerOp, unit: 'µs' },
    { key: 'rawPoolAcquireWaitP50Ms', label: '  raw pg.Pool acquire wait p50', value: po?.rawPoolAcquireWait.p50Ms, unit: 'ms' },
    { key: 'rawPoolAcquireWaitP99Ms', label: '  raw pg.Pool acquire wait p99', value: po?.rawPoolAcquireWait.p99Ms, unit: 'ms' },
    { key: 'acquireWaitP50Ms', label: '  AsyncConnectionPool acquire wait p50', value: po?.asyncPoolAcquireWait.p50Ms, unit: 'ms' },
    { key: 'acquireWaitP99Ms', label: '  AsyncConnectionPool acquire wait p99', value: po?.acquireWaitP99Ms, unit: 'ms' },
    ...refusalFigures(details.refusalLatency),
    ...floodFigures(fr),
    ...rateFigures(sr, details.rateAtCapacity),
    ...suiteFigures(sc),
  ];
}

/** Refusal latency, open loop: the figures the issue judges (client p99 < 5 ms, service p99 < 1 ms). */
function refusalFigures(rl: BenchDetails['refusalLatency']): Figure[] {
  const client = rl?.refusals;
  const server = rl?.server.status429;
  const serverAt = (p: number) => server?.percentiles.find((q) => q.percentile === p)?.atMostMs ?? undefined;
  const serverNote = rl?.server.unavailable ? 'not exposed by the service' : undefined;
  return [
    { key: 'refusalOpenLoopP99Ms', label: `Refusal latency, open loop at ${rl?.workload.rateFactor ?? 10}x C/T: client p99 from the intended send`, value: client?.latency.p99Ms, unit: 'ms', target: { op: '<', limit: 5 } },
    { key: 'refusalOpenLoopP50Ms', label: '  client p50', value: client?.latency.p50Ms, unit: 'ms' },
    { key: 'refusalOpenLoopP999Ms', label: '  client p99.9', value: client?.latency.p999Ms, unit: 'ms' },
    { key: 'refusalOpenLoopP99FromActualSendMs', label: '  client p99 from the actual send (would hide generator lag)', value: client?.latencyFromActualSend.p99Ms, unit: 'ms' },
    { key: 'refusalOpenLoopRatePerSec', label: '  arrival rate (C/T x factor, fixed in advance)', value: rl?.workload.ratePerSec, unit: 'req/s' },
    { key: 'refusalOpenLoopSent', label: '  requests sent', value: client?.sent, unit: '' },
    { key: 'refusalOpenLoop429', label: '  answered 429 (queue full)', value: client?.byStatus['429'], unit: '' },
    { key: 'refusalOpenLoopUnanswered', label: '  unanswered (error or timeout)', value: client?.unanswered, unit: '', target: { op: '==', limit: 0 } },
    { key: 'refusalOpenLoopLateSends', label: `  sends later than ${client?.lateThresholdMs ?? 1} ms (generator lag)`, value: client?.lateSends, unit: '' },
    { key: 'refusalOpenLoopSendLagP99Ms', label: '  generator lag p99', value: client?.sendLag.p99Ms, unit: 'ms' },
    {
      key: 'refusalServerShareWithin1Ms',
      label: '  service time to refuse: share <= 1 ms (>= 0.99 means p99 < 1 ms)',
      value: server?.shareWithinGoal,
      unit: 'x',
      target: { op: '>=', limit: 0.99 },
      note: serverNote,
    },
    { key: 'refusalServerP50AtMostMs', label: '  service time to refuse p50 (at most: its bucket)', value: serverAt(50), unit: 'ms', note: serverNote },
    { key: 'refusalServerP99AtMostMs', label: '  service time to refuse p99 (at most: its bucket)', value: serverAt(99), unit: 'ms', note: serverNote },
    { key: 'refusalServerP999AtMostMs', label: '  service time to refuse p99.9 (at most: its bucket)', value: serverAt(99.9), unit: 'ms', note: serverNote },
    { key: 'refusalServerMeanMs', label: '  service time to refuse, mean', value: server?.meanMs, unit: 'ms', note: serverNote },
    { key: 'healthDuringRefusalP99Ms', label: '  /health p99 during the run (open loop)', value: rl?.health.latency.p99Ms, unit: 'ms' },
    { key: 'healthUnansweredDuringRefusal', label: '  /health samples unanswered', value: rl?.health.unanswered, unit: '', target: { op: '==', limit: 0 } },
  ];
}

/** The closed-loop flood: a stress figure (callers wait for their answers, so its latency is mostly their own queue). */
function floodFigures(fr: BenchDetails['floodRefusal']): Figure[] {
  return [
    { key: 'rejection429P99Ms', label: 'Closed-loop flood, 10x capacity callers (stress figure, no goal): 429 p99', value: fr?.rejection429P99Ms, unit: 'ms' },
    { key: 'rejection429Count', label: '  429 answers timed', value: fr?.rejection429.count, unit: '' },
    { key: 'refusalAnyP99Ms', label: '  any refusal (429 or 503) p99', value: fr?.refusalAnyP99Ms, unit: 'ms' },
    { key: 'server500sDuringFlood', label: '  500 answers during the flood', value: fr?.flood.server500s, unit: '', target: { op: '==', limit: 0 } },
    { key: 'healthDuringFloodP99Ms', label: '  /health p99 during the flood', value: fr?.healthDuringFloodP99Ms, unit: 'ms' },
    { key: 'healthUnansweredDuringFlood', label: '  /health samples unanswered (error or timeout)', value: fr?.healthDuringFlood.unanswered, unit: '', target: { op: '==', limit: 0 } },
    { key: 'eventLoopDelayP99Ms', label: '  service event-loop delay p99 (flood)', value: fr?.eventLoopDelayP99Ms, unit: 'ms' },
    { key: 'eventLoopDelayIdleP99Ms', label: '  service event-loop delay p99 (idle)', value: fr?.eventLoopDelayIdleP99Ms, unit: 'ms' },
  ];
}

function rateFigures(sr: BenchDetails['sustainableRate'], rc: BenchDetails['rateAtCapacity']): Figure[] {
  const part = (key: string) => rc?.parts.find((p) => p.key === key)?.meanMs;
  return [
    { key: 'sustainableRateRatio', label: `Sustainable rate, ${sr?.workload.callers ?? '2C'} callers: achieved / (C/T)`, value: sr?.sustainableRateRatio, unit: 'x', target: { op: '>=', limit: 0.9 } },
    { key: 'sustainableRateAchievedPerSec', label: '  achieved', value: sr?.achievedPerSec, unit: 'req/s' },
    { key: 'sustainableRateTheoreticalPerSec', label: '  theoretical C/T', value: sr?.theoreticalPerSec, unit: 'req/s' },
    { key: 'sustainableRateErrors', label: '  errors', value: sr?.errors, unit: '', target: { op: '==', limit: 0 } },
    { key: 'rateAtCapacityRatio', label: 'Sustainable rate, exactly C callers: achieved / (C/T)', value: rc?.rateRatio, unit: 'x' },
    { key: 'rateAtCapacityAchievedPerSec', label: '  achieved', value: rc?.achievedPerSec, unit: 'req/s' },
    { key: 'rateAtCapacityErrors', label: '  errors', value: rc?.errors, unit: '', target: { op: '==', limit: 0 } },
    { key: 'rateAtCapacityOutsideHoldMs', label: '  time per request outside the hold (C / rate - T)', value: rc?.outsideHoldMsFromRate, unit: 'ms' },
    { key: 'rateAtCapacityCycleMs', label: '  measured mean cycle per caller (sum of the parts below)', value: rc?.cycleMs, unit: 'ms' },
    { key: 'rateAtCapacityClientSendMs', label: '    client send (start -> written to the socket)', value: part('clientSend'), unit: 'ms' },
    { key: 'rateAtCapacityHttpMs', label: '    HTTP both ways outside the handler (loopback + service)', value: part('http'), unit: 'ms' },
    { key: 'rateAtCapacityAcquireWaitMs', label: '    pool acquire wait (service histogram)', value: part('acquireWait'), unit: 'ms' },
    { key: 'rateAtCapacityQueryMs', label: '    query incl. the hold, and release (service)', value: part('query'), unit: 'ms' },
    { key: 'rateAtCapacityDirectQueryMs', label: '      of which PostgreSQL: pg_sleep(T) by a direct client, same run', value: rc?.queryPart?.directRoundTrip.meanMs, unit: 'ms' },
    { key: 'rateAtCapacityServiceAroundQueryMs', label: '      of which the service around the query (driver, pool, event loop)', value: rc?.queryPart?.serviceAroundQueryMs, unit: 'ms' },
    { key: 'rateAtCapacityClientReceiveMs', label: '    client receive (headers -> whole body)', value: part('clientReceive'), unit: 'ms' },
    { key: 'rateAtCapacityTurnaroundMs', label: '    caller turnaround (body -> next request)', value: part('turnaround'), unit: 'ms' },
  ];
}

/** The suite's own cost: quick profile in every run, the default profile with --suite, each also in parallel. */
function suiteFigures(sc: BenchDetails['suiteCost']): Figure[] {
  const serial = (profile: string) => sc?.serial?.find((r) => r.profile === profile);
  const quick = serial('quick');
  const full = serial('default');
  const parallelFull = sc?.parallel?.available ? sc.parallel.runs.find((r) => r.profile === (full ? 'default' : 'quick')) : undefined;
  const parallelNote = sc?.parallel && !sc.parallel.available ? 'parallel: not yet available' : undefined;
  const cases = sc?.tags ? `--tags "${sc.tags}"` : 'the seven cases';
  return [
    { key: 'suiteQuickCostRatio', label: `Suite cost, quick profile, serial: wall / prescribed waiting (${cases})`, value: quick?.costRatio, unit: 'x' },
    { key: 'suiteQuickWallSeconds', label: '  wall time', value: quick?.wallSeconds, unit: 's' },
    { key: 'suiteQuickPrescribedSeconds', label: '  waiting the features prescribe (load phases x 0.1)', value: quick?.prescribedWaitingSeconds, unit: 's' },
    { key: 'suiteQuickScenarios', label: '  scenarios run', value: quick?.scenarios, unit: '' },
    { key: 'suiteQuickScenariosFailed', label: '  scenarios failed', value: quick?.scenariosFailed, unit: '', target: { op: '==', limit: 0 } },
    { key: 'suiteCostRatio', label: 'Suite cost, default profile, serial (--suite): wall / prescribed waiting', value: full?.costRatio, unit: 'x', target: { op: '<=', limit: 1.15 } },
    { key: 'suiteWallSeconds', label: '  wall time', value: full?.wallSeconds, unit: 's' },
    { key: 'prescribedWaitingSeconds', label: '  waiting the features prescribe', value: full?.prescribedWaitingSeconds, unit: 's' },
    { key: 'suiteScenariosFailed', label: '  scenarios failed', value: full?.scenariosFailed, unit: '', target: { op: '==', limit: 0 } },
    {
      key: 'suiteParallelWallRatio',
      label: `Suite, parallel / serial wall time (${full ? 'default' : 'quick'} profile)`,
      value: parallelFull && (full ?? quick) ? Math.round((parallelFull.wallSeconds / (full ?? quick)!.wallSeconds) * 1000) / 1000 : undefined,
      unit: 'x',
      target: { op: '<=', limit: 0.6 },
      note: parallelNote,
    },
    { key: 'suiteParallelWallSeconds', label: '  parallel wall time (--parallel 2)', value: parallelFull?.wallSeconds, unit: 's' },
    { key: 'suiteParallelScenariosFailed', label: '  parallel scenarios failed', value: parallelFull?.scenariosFailed, unit: '', target: { op: '==', limit: 0 } },
  ];
}

function verdict(figure: Figure): 'met' | 'missed' | 'not measured' {
  const { value, target } = figure;
  if (value === undefined || Number.isNaN(value)) return 'not measured';
  if (!target) return 'met';
  const ok = { '>=': value >= target.limit, '<=': value <= target.limit, '<': value < target.limit, '==': value === target.limit }[target.op];
  return ok ? 'met' : 'missed';
}

export function buildResults(date: string, machine: Machine, details: BenchDetails): BenchResults {
  const figures = figuresOf(details);
  const targeted = figures.filter((f) => f.target);
  return {
    date,
    machine,
    figures: Object.fromEntries(figures.map((f) => [f.key, f.value])),
    targets: Object.fromEntries(targeted.map((f) => [f.key, `${f.target!.op} ${f.target!.limit}`])),
    verdicts: Object.fromEntries(targeted.map((f) => [f.key, verdict(f)])),
    details,
  };
}

/** The table printed to stdout (and pasted into the README). */
export function renderTable(results: BenchResults): string {
  const rows = figuresOf(results.details).map((f) => {
    const value = f.value === undefined || Number.isNaN(f.value) ? (f.note ?? '—') : `${f.value}${f.unit && f.unit !== 'x' ? ` ${f.unit}` : ''}`;
    const target = f.target ? `${f.target.op} ${f.target.limit}${f.unit && f.unit !== 'x' ? ` ${f.unit}` : ''}` : '';
    const outcome = f.target ? verdict(f) : '';
    return [f.label, value, target, outcome];
  });
  const header = ['figure', 'value', 'target', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const m = results.machine;
  return [
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, PostgreSQL ${m.postgres ?? '?'}`,
    '',
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function resultsFile(date: string): string {
  return path.join(RESULTS_DIR, `${date}.json`);
}

/** The same day's earlier results, so a `--suite` run and a bench run complete one file. */
export function previousResults(date: string): BenchResults | undefined {
  const file = resultsFile(date);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : undefined;
}

export async function writeResults(results: BenchResults): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = resultsFile(results.date);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
