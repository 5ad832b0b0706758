import { histogramValue, parsePrometheusText, seriesValue, type MetricNameMap } from './metric-maps';
import type { PoolFigures } from './service-target';

const FIGURE_OF: ReadonlyArray<[keyof PoolFigures, keyof MetricNameMap]> = [
  ['active', 'active'],
  ['idle', 'idle'],
  ['waiting', 'pending'],
  ['capacity', 'max'],
  ['open', 'open'],
  ['utilization', 'utilization'],
  ['acquired', 'acquired'],
  ['released', 'released'],
  ['timeouts', 'timeouts'],
  ['rejected', 'rejected'],
  ['errors', 'errors'],
  ['created', 'created'],
  ['destroyed', 'destroyed'],
  ['leaksDetected', 'leaksDetected'],
  ['recoveryAttempts', 'recoveryAttempts'],
  ['recoverySuccesses', 'recoverySuccesses'],
];

/** A pool's figures from a Prometheus text exposition, through a name map: every figure the map names and the text has. */
export function prometheusFigures(text: string, names: MetricNameMap, labels: Readonly<Record<string, string>> = {}): Partial<PoolFigures> {
  const samples = parsePrometheusText(text);
  const figures: Partial<PoolFigures> = {};
  for (const [figure, name] of FIGURE_OF) {
    const spec = names[name];
    const value = spec ? seriesValue(samples, spec, labels) : undefined;
    if (value !== undefined) (figures as Record<string, number>)[figure] = value;
  }
  const waits = names.waitSeconds ? histogramValue(samples, names.waitSeconds, labels) : undefined;
  if (waits) figures.waitSeconds = waits;
  return figures;
}
