import { histogramValue, parsePrometheusText, seriesValue, type MetricNameMap } from './metric-maps';
import type { PoolReading } from './service-target';

/** A pool reading from a Prometheus text exposition, through a name map: every figure the map names and the text has. */
export function prometheusReading(service: string, text: string, names: MetricNameMap, labels: Readonly<Record<string, string>> = {}): PoolReading {
  const samples = parsePrometheusText(text);
  const read = (key: keyof MetricNameMap) => (names[key] ? seriesValue(samples, names[key]!, labels) : undefined);
  const figures = {
    active: read('active'),
    idle: read('idle'),
    waiting: read('pending'),
    capacity: read('max'),
    open: read('open'),
    utilization: read('utilization'),
    acquired: read('acquired'),
    released: read('released'),
    timeouts: read('timeouts'),
    rejected: read('rejected'),
    errors: read('errors'),
    leaksDetected: read('leaksDetected'),
  };
  const reading: PoolReading = { service, at: Date.now(), evidence: {} };
  for (const [key, value] of Object.entries(figures) as Array<[keyof typeof figures, number | undefined]>) {
    if (value === undefined) continue;
    reading[key] = value;
    reading.evidence[key] = 'prometheus';
  }
  const waits = names.waitSeconds ? histogramValue(samples, names.waitSeconds, labels) : undefined;
  if (waits) {
    reading.waitSeconds = waits;
    reading.evidence.waitSeconds = 'prometheus';
  }
  return reading;
}
