import type { LoadResult } from '../load/generator';
import type { TimelineJson, TimelinePhase } from '../monitoring/pool-timeline';
import { describeEvidence } from '../targets/evidence';

/** "backend: snapshot; auth: prometheus and pg_stat_activity". */
function describeAllEvidence(timeline: TimelineJson): string {
  return Object.entries(timeline.evidence).map(([service, evidence]) => `${service}: ${describeEvidence(evidence)}`).join('; ') || 'no reading';
}

/**
 * Charts for the report: vega-lite specs compiled and rendered to SVG by vega, headless (no
 * browser, no canvas). Both packages are ESM-only with top-level await, so they are loaded with a
 * real dynamic import() — tsconfig's module "nodenext" keeps it (with "commonjs" TypeScript would
 * turn it into require(), which fails).
 */

type Spec = Record<string, unknown>;

interface Renderer {
  compile(spec: Spec): { spec: unknown };
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

let renderer: Promise<Renderer> | undefined;

function loadRenderer(): Promise<Renderer> {
  renderer ??= Promise.all([import('vega-lite'), import('vega')]).then(([vl, vega]) => ({
    compile: (spec: Spec) => vl.compile(spec as never),
    parse: (spec: unknown) => vega.parse(spec as never),
    View: vega.View as unknown as Renderer['View'],
  }));
  return renderer;
}

export async function renderSvg(spec: Spec): Promise<string> {
  const { compile, parse, View } = await loadRenderer();
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 860;
const SERIES_COLORS = { domain: ['active', 'idle', 'waiting', 'capacity'], range: ['#1f77b4', '#2ca02c', '#d62728', '#7f7f7f'] };
const PHASE_COLORS = { domain: ['spike', 'sustained', 'steady', 'operations', 'leak'], range: ['#ff7f0e', '#9ecae1', '#9ecae1', '#c5b0d5', '#e377c2'] };
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { orient: 'top', labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 16, subtitleFontSize: 12, anchor: 'start' },
};

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** Shaded bands with a label for each phase, as layers under a chart's lines. */
function phaseLayers(phases: readonly TimelinePhase[]): Spec[] {
  if (phases.length === 0) return [];
  const values = phases.map((p) => ({ name: p.name, kind: p.kind, from: seconds(p.from), to: seconds(p.to) }));
  // The legend lists the kinds this chart has, each in its fixed color.
  const kinds = PHASE_COLORS.domain.filter((kind) => values.some((v) => v.kind === kind));
  const scale = { domain: kinds, range: kinds.map((kind) => PHASE_COLORS.range[PHASE_COLORS.domain.indexOf(kind)]) };
  return [
    {
      data: { values },
      mark: { type: 'rect', opacity: 0.25 },
      encoding: {
        x: { field: 'from', type: 'quantitative' },
        x2: { field: 'to' },
        // fill, not color: the phases get their own scale beside the lines' colors.
        fill: { field: 'kind', type: 'nominal', scale, legend: { title: 'phase' } },
        tooltip: [{ field: 'name' }, { field: 'from', title: 'from (s)' }, { field: 'to', title: 'to (s)' }],
      },
    },
    {
      // Only the spikes and short phases are labelled: the sustained level is the background.
      data: { values: values.filter((v) => v.kind !== 'sustained') },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 2, dy: 2, fontSize: 10, color: '#555' },
      encoding: { x: { field: 'from', type: 'quantitative' }, y: { value: 0 }, text: { field: 'name' } },
    },
  ];
}

/** The pool timeline: per service, active / idle / waiting / capacity over time; then utilization of all. */
export function timelineSpec(timeline: TimelineJson, title: string): Spec {
  const services = [...new Set(timeline.samples.map((s) => s.service))];
  const end = seconds(Math.max(1, ...timeline.samples.map((s) => s.t), ...timeline.phases.map((p) => p.to)));
  const x = { field: 's', type: 'quantitative', title: 'seconds since the scenario started', scale: { domain: [0, end], nice: false } };
  const liveness = timeline.liveness;
  const connectionPanels = services.map((service) => ({
    title: { text: `${service}: connections`, fontSize: 13 },
    width: WIDTH,
    height: 160,
    layer: [
      ...phaseLayers(timeline.phases),
      {
        data: {
          values: timeline.samples
            .filter((s) => s.service === service)
            // A figure the target's evidence does not give (waiting, from pg_stat_activity) is left out, not drawn as 0.
            .flatMap((s) => (['active', 'idle', 'waiting', 'capacity'] as const).flatMap((series) => (s[series] === undefined ? [] : [{ s: seconds(s.t), series, value: s[series] }]))),
        },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'connections' },
          color: { field: 'series', type: 'nominal', scale: SERIES_COLORS, legend: { title: 'connections' } },
          strokeDash: { condition: { test: "datum.series === 'capacity'", value: [4, 3] }, value: [1, 0] },
        },
      },
    ],
  }));
  const utilizationPanel = {
    title: { text: 'utilization (active / capacity); dashed: the 90% baseline limit', fontSize: 13 },
    width: WIDTH,
    height: 120,
    layer: [
      ...phaseLayers(timeline.phases),
      {
        data: { values: timeline.samples.flatMap((s) => (s.utilization === undefined ? [] : [{ s: seconds(s.t), service: s.service, utilization: s.utilization }])) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'utilization', type: 'quantitative', title: 'utilization', axis: { format: '%' }, scale: { domain: [0, 1] } },
          color: { field: 'service', type: 'nominal', scale: { scheme: 'dark2' }, legend: { title: 'service' } },
        },
      },
      { data: { values: [{ y: 0.9 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#999' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: `pool sampled every ${timeline.everyMs} ms from ${describeAllEvidence(timeline)} · ${
        liveness.samples === 0 ? 'no health check to probe' : `liveness ${(liveness.ratio * 100).toFixed(2)}% of ${liveness.samples} probes answered`
      }${Object.values(timeline.failedPolls).some((n) => n > 0) ? ` · polls without a reading: ${JSON.stringify(timeline.failedPolls)}` : ''}`,
    },
    config: CONFIG,
    background: 'white',
    padding: 12,
    vconcat: [...connectionPanels, utilizationPanel],
    resolve: { scale: { color: 'independent' } },
  };
}

const CLASS_COLORS = { domain: ['2xx', '429', '503', 'other'], range: ['#59a14f', '#f28e2b', '#edc948', '#e15759'] };

/** The load, per second: requests by status class (stacked) and p95 latency, with the phases marked. */
export function loadSpec(load: LoadResult, title: string, timelineStartedAt: number): Spec {
  // On the timeline's clock, so both charts line up.
  const offset = seconds(load.startedAt - timelineStartedAt);
  const phases = load.profile.segments.map((s) => ({ name: s.name, kind: s.kind, from: s.fromMs + offset * 1000, to: s.toMs + offset * 1000 }));
  const values = load.seconds.flatMap((b) => (['2xx', '429', '503', 'other'] as const).map((kind) => ({ s: b.second + offset, kind, count: b[kind] })));
  const p95 = load.seconds.map((b) => ({ s: b.second + offset, p95: b.latencyMs.p95 }));
  const end = Math.max(offset + load.durationMs / 1000, ...load.seconds.map((b) => b.second + offset + 1));
  const x = { field: 's', type: 'quantitative', title: 'seconds since the scenario started', scale: { domain: [0, end], nice: false } };
  const { totals } = load;
  const ms = (value: number): string => `${Math.round(value)} ms`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: `${totals.sent} requests: ${totals['2xx']} 2xx, ${totals['429']} 429, ${totals['503']} 503, ${totals.other} errors · latency p50 ${ms(totals.latencyMs.p50)}, p95 ${ms(totals.latencyMs.p95)}, p99 ${ms(totals.latencyMs.p99)}, max ${ms(totals.latencyMs.max)}`,
    },
    config: CONFIG,
    background: 'white',
    padding: 12,
    vconcat: [
      {
        title: { text: 'requests sent per second, by answer', fontSize: 13 },
        width: WIDTH,
        height: 150,
        layer: [
          ...phaseLayers(phases),
          {
            data: { values },
            mark: { type: 'bar', width: { band: 0.9 } },
            encoding: {
              x: { ...x, bin: { step: 1 } },
              y: { field: 'count', type: 'quantitative', aggregate: 'sum', stack: 'zero', title: 'requests / s' },
              color: { field: 'kind', type: 'nominal', scale: CLASS_COLORS, legend: { title: 'answer' } },
            },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        title: { text: 'p95 latency per second (ms)', fontSize: 13 },
        width: WIDTH,
        height: 110,
        layer: [
          ...phaseLayers(phases),
          { data: { values: p95 }, mark: { type: 'line', point: true, color: '#4e79a7' }, encoding: { x, y: { field: 'p95', type: 'quantitative', title: 'p95 (ms)' } } },
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}
