import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FloodResult } from './flood-refusal';
import type { PoolOverheadResult } from './pool-overhead';
import type { SuiteCostResult } from './suite-cost';
import type { SustainableRateResult } from './sustainable-rate';

export const RESULTS_DIR = path.join(__dirname, 'results');

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
}

/** One figure of DESIGN.md section 7 / issue 7: its value, the issue's target, and whether it was met. */
interface Figure {
  key: string;
  label: string;
  value: number | undefined;
  unit: string;
  target?: { op: '>=' | '<=' | '<' | '=='; limit: number };
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
    { key: 'rejection429P99Ms', label: 'Flood 10x: 429 answer p99', value: fr?.rejection429P99Ms, unit: 'ms', target: { op: '<', limit: 10 } },
    { key: 'rejection429Count', label: '  429 answers timed', value: fr?.rejection429.count, unit: '' },
    { key: 'refusalAnyP99Ms', label: '  any refusal (429 or 503) p99', value: fr?.refusalAnyP99Ms, unit: 'ms' },
    { key: 'server500sDuringFlood', label: '  500 answers during the flood', value: fr?.flood.server500s, unit: '', target: { op: '==', limit: 0 } },
    { key: 'healthDuringFloodP99Ms', label: '  /health p99 during the flood', value: fr?.healthDuringFloodP99Ms, unit: 'ms' },
    {
      key: 'healthUnansweredDuringFlood',
      label: '  /health samples unanswered (error or timeout)',
      value: fr?.healthDuringFlood.unanswered,
      unit: '',
      target: { op: '==', limit: 0 },
    },
    { key: 'eventLoopDelayP99Ms', label: '  service event-loop delay p99 (flood)', value: fr?.eventLoopDelayP99Ms, unit: 'ms' },
    { key: 'eventLoopDelayIdleP99Ms', label: '  service event-loop delay p99 (idle)', value: fr?.eventLoopDelayIdleP99Ms, unit: 'ms' },
    { key: 'sustainableRateRatio', label: 'Sustainable rate: achieved / (C/T)', value: sr?.sustainableRateRatio, unit: 'x', target: { op: '>=', limit: 0.9 } },
    { key: 'sustainableRateAchievedPerSec', label: '  achieved', value: sr?.achievedPerSec, unit: 'req/s' },
    { key: 'sustainableRateTheoreticalPerSec', label: '  theoretical C/T', value: sr?.theoreticalPerSec, unit: 'req/s' },
    { key: 'sustainableRateErrors', label: '  errors', value: sr?.errors, unit: '', target: { op: '==', limit: 0 } },
    { key: 'suiteCostRatio', label: 'Suite cost: wall / prescribed waiting', value: sc?.suiteCostRatio, unit: 'x', target: { op: '<=', limit: 1.15 } },
    { key: 'suiteWallSeconds', label: '  plan wall time', value: sc?.suiteWallSeconds, unit: 's' },
    { key: 'prescribedWaitingSeconds', label: '  waiting the features prescribe', value: sc?.prescribedWaitingSeconds, unit: 's' },
    { key: 'suiteScenarios', label: `  scenarios run${sc?.tags ? ` (--tags ${sc.tags})` : ' (whole plan)'}`, value: sc?.scenarios, unit: '' },
    { key: 'suiteScenariosFailed', label: '  scenarios failed (default profile)', value: sc?.perScenario.filter((s) => !s.passed).length, unit: '', target: { op: '==', limit: 0 } },
    { key: 'quickProfileSeconds', label: 'Quick profile wall time', value: sc?.quickProfileSeconds, unit: 's', target: { op: '<', limit: 60 } },
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
    const value = f.value === undefined || Number.isNaN(f.value) ? '—' : `${f.value}${f.unit && f.unit !== 'x' ? ` ${f.unit}` : ''}`;
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
