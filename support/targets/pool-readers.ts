import type { HealthStatus } from '../clients/contract';
import type { DatabaseAudit } from '../clients/database-audit';
import { describeOutcome } from '../clients/outcome';
import { REQUEST } from '../timeouts';
import { JSON_FIELD_MAPS } from './json-field-maps';
import { valueAt } from './json-path';
import { METRIC_MAPS, histogramValue, parsePrometheusText, seriesValue, type MetricNameMap } from './metric-maps';
import { prometheusFigures } from './prometheus-reading';
import type { JsonFields, StateSourceDescription } from './schema';
import type { ScenarioSettings } from './settings';
import type { Evidence, PoolFigures, PoolReading } from './service-target';
import type { TargetHttp } from './target-http';

type JsonSource = Extract<StateSourceDescription, { via: 'json' }>;
type PrometheusSource = Extract<StateSourceDescription, { via: 'prometheus' }>;

const HEALTH_WORDS: readonly HealthStatus[] = ['healthy', 'warning', 'critical'];

const namesOf = (source: PrometheusSource): MetricNameMap => (typeof source.names === 'string' ? METRIC_MAPS[source.names as keyof typeof METRIC_MAPS] : source.names);
const fieldsOf = (source: JsonSource): JsonFields => (typeof source.fields === 'string' ? JSON_FIELD_MAPS[source.fields as keyof typeof JSON_FIELD_MAPS] : source.fields);

/**
 * A described service's pool, read from the sources its description lists (best evidence first):
 * a JSON answer through a field map, Prometheus through a name map, or PostgreSQL's own
 * pg_stat_activity. Every reading carries the pool's size and capacity: from the service where it
 * says them, from the settings the suite set otherwise.
 */
export class PoolReaders {
  constructor(
    private readonly service: string,
    private readonly sources: readonly StateSourceDescription[],
    private readonly http: TargetHttp,
    private readonly audit: () => DatabaseAudit,
    private readonly applicationName: string,
    private readonly settings: () => ScenarioSettings,
    private readonly overflow: 'its own' | 'part of the pool size',
  ) {}

  async poolState(): Promise<PoolReading> {
    const reading: Omit<PoolReading, 'capacity' | 'poolSize'> & Partial<PoolReading> = { service: this.service, at: Date.now(), evidence: {} };
    for (const source of this.sources) {
      const figures = await this.read(source);
      for (const [key, value] of Object.entries(figures) as Array<[keyof PoolFigures, never]>) {
        if (value === undefined || reading[key] !== undefined) continue;
        reading[key] = value;
        reading.evidence[key] = source.via;
      }
    }
    return this.completed(reading);
  }

  /** Each channel the service reports through itself (JSON, Prometheus), one reading each. */
  async ownReports(): Promise<PoolReading[]> {
    const own = this.sources.filter((source) => source.via !== 'pg_stat_activity');
    return Promise.all(
      own.map(async (source) => {
        const figures = await this.read(source);
        const evidence = Object.fromEntries(Object.keys(figures).map((key) => [key, source.via])) as PoolReading['evidence'];
        return this.completed({ service: this.service, at: Date.now(), ...figures, evidence });
      }),
    );
  }

  /**
   * Before the run: every source answers, and every series or field a map the file wrote names is
   * there (a mistake in the file: the run stops naming it). A ready-made map's missing names only
   * mean those figures are not offered: said once, on stderr.
   */
  async check(where: string): Promise<void> {
    for (const [index, source] of this.sources.entries()) {
      const at = `${where}.state[${index}]`;
      if (source.via === 'pg_stat_activity') continue;
      const answer = source.via === 'json' ? await this.http.send(source.request, {}, { field: `state[${index}].request`, timeoutMs: REQUEST.livenessProbe }) : await this.http.send({ method: 'GET', path: source.path, headers: source.headers }, {}, { timeoutMs: REQUEST.livenessProbe });
      if (answer.status !== 200) throw new Error(`${at}: ${source.via === 'json' ? `${source.request.method} ${source.request.path}` : `GET ${source.path}`} answered ${describeOutcome(answer)}, not ${source.via === 'json' ? 'a JSON answer about the pool' : 'a Prometheus exposition'} (${JSON.stringify(answer.body)?.slice(0, 160)})`);
      const missing = source.via === 'json' ? this.missingFields(source, answer.body) : this.missingSeries(source, String(answer.body));
      if (missing.length === 0) continue;
      const written = source.via === 'json' ? typeof source.fields !== 'string' : typeof source.names !== 'string';
      if (written) throw new Error(`${at}.${source.via === 'json' ? 'fields' : 'names'}: not in its answer: ${missing.join(', ')}`);
      process.stderr.write(`${where}: does not give ${missing.join(', ')} (ready-made map): checks that need them are not judged\n`);
    }
  }

  private missingFields(source: JsonSource, body: unknown): string[] {
    return Object.entries(fieldsOf(source)).filter(([, path]) => path && valueAt(body, path) === undefined).map(([figure, path]) => `${figure}: ${path}`);
  }

  private missingSeries(source: PrometheusSource, text: string): string[] {
    const samples = parsePrometheusText(text);
    const exposed = (figure: string, spec: string) => (figure === 'waitSeconds' ? histogramValue(samples, spec, source.labels) : seriesValue(samples, spec, source.labels)) !== undefined;
    return Object.entries(namesOf(source)).filter(([figure, spec]) => spec && !exposed(figure, spec)).map(([figure, spec]) => `${figure}: ${spec}`);
  }

  /** Pool size and capacity, from the settings the suite set where the service does not say them. */
  private completed(reading: Omit<PoolReading, 'capacity' | 'poolSize'> & Partial<PoolReading>): PoolReading {
    const settings = this.settings();
    const set: Evidence = 'the settings the suite set';
    if (reading.capacity === undefined) {
      reading.capacity = settings.poolSize + settings.maxOverflow;
      reading.evidence.capacity = set;
    }
    if (reading.poolSize === undefined) {
      // One pool size (node-postgres' max) keeps what it keeps: its whole size.
      reading.poolSize = this.overflow === 'its own' ? settings.poolSize : settings.poolSize + settings.maxOverflow;
      reading.evidence.poolSize = set;
    }
    return reading as PoolReading;
  }

  private async read(source: StateSourceDescription): Promise<Partial<PoolFigures>> {
    switch (source.via) {
      case 'pg_stat_activity': {
        const { total, busy } = await this.audit().connectionsOf(this.applicationName);
        return { active: busy, idle: total - busy, open: total };
      }
      case 'prometheus': {
        const answer = await this.http.send({ method: 'GET', path: source.path, headers: source.headers }, {}, { timeoutMs: REQUEST.livenessProbe });
        if (answer.status !== 200) throw new Error(`${this.service} ${source.path} answered ${describeOutcome(answer)}`);
        return prometheusFigures(String(answer.body), namesOf(source), source.labels);
      }
      case 'json': {
        const answer = await this.http.send(source.request, {}, { timeoutMs: REQUEST.livenessProbe });
        if (answer.status !== 200) throw new Error(`${this.service} ${source.request.path} answered ${describeOutcome(answer)}`);
        const figures: Record<string, unknown> = {};
        for (const [figure, path] of Object.entries(fieldsOf(source))) {
          const value = path ? valueAt(answer.body, path) : undefined;
          if (figure === 'health') {
            if (HEALTH_WORDS.includes(value as HealthStatus)) figures.health = value;
          } else if (figure === 'waitPercentilesMs') {
            if (value && typeof value === 'object') figures.waitPercentilesMs = value;
          } else if (typeof value === 'number') figures[figure] = value;
        }
        return figures as Partial<PoolFigures>;
      }
    }
  }
}
