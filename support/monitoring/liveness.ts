import type { HealthStatus } from '../clients/contract';
import { NotOffered } from '../targets/not-offered';
import type { HealthReading } from '../targets/service-target';

/** One probe of one service's GET /health. */
export interface LivenessSample {
  /** Epoch ms when the probe was sent. */
  at: number;
  service: string;
  alive: boolean;
  /** HTTP status; 0 when no answer came in time. */
  status: number;
  /** The plan's status word, when the answer maps to one. */
  poolStatus: HealthStatus | undefined;
  ms: number;
  error?: string;
}

export interface LivenessFigure {
  samples: number;
  answered: number;
  /** answered / samples, 1 when nothing was sampled. */
  ratio: number;
  unanswered: Array<{ at: string; service: string; why: string }>;
}

/**
 * The liveness probe (DESIGN §5): each service's health check, sampled throughout a scenario (the
 * share it must answer is the uptime the feature promises: the plan's 99.9%). Any
 * health answer that maps to one of the plan's words counts as alive — critical included, since a
 * service that says it is saturated is up; no answer (within the probe's time), a refused
 * connection or an answer in no known form is not. Services without a health check are not probed.
 */
export class LivenessProbe {
  readonly samples: LivenessSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The probe under way per service. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly services: ReadonlyArray<{ service: string; health: () => Promise<HealthReading> }>,
    private readonly everyMs = 250,
  ) {}

  /** Services that have no health check to probe (learned at their first probe). */
  readonly notProbed = new Set<string>();

  /** Whether `service` (or any service) is probed at all (a target without health checks has no liveness figure). */
  probing(service?: string): boolean {
    return service === undefined ? this.services.some((s) => !this.notProbed.has(s.service)) : this.services.some((s) => s.service === service) && !this.notProbed.has(service);
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const target of this.services) {
        // Guard: one probe per service at a time; a slow one must not pile up more.
        if (this.inFlight.has(target.service) || this.notProbed.has(target.service)) continue;
        this.inFlight.set(target.service, this.probe(target).finally(() => this.inFlight.delete(target.service)));
      }
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Let probes under way finish (each is bounded by its timeout), so the last one is counted.
    await Promise.all(this.inFlight.values());
  }

  /**
   * The share answered among samples taken in [from, to] (epoch ms), or all of them; `excluded`
   * leaves out probes that overlapped a restart the suite itself made (a service restarted for new
   * settings is not a service that went down).
   */
  figure(window: { from?: number; to?: number } = {}, service?: string, excluded: (sample: LivenessSample) => boolean = () => false): LivenessFigure {
    const within = this.samples.filter((s) => s.at >= (window.from ?? 0) && s.at <= (window.to ?? Infinity) && (!service || s.service === service) && !excluded(s));
    const answered = within.filter((s) => s.alive).length;
    return {
      samples: within.length,
      answered,
      ratio: within.length === 0 ? 1 : answered / within.length,
      unanswered: within.filter((s) => !s.alive).slice(0, 20).map((s) => ({ at: new Date(s.at).toISOString(), service: s.service, why: s.error ?? `HTTP ${s.status}` })),
    };
  }

  private async probe(target: { service: string; health: () => Promise<HealthReading> }): Promise<void> {
    const at = Date.now();
    const started = performance.now();
    try {
      const { status: poolStatus, answer } = await target.health();
      const alive = answer.status !== 0 && poolStatus !== undefined;
      this.samples.push({
        at,
        service: target.service,
        alive,
        status: answer.status,
        poolStatus,
        ms: performance.now() - started,
        ...(alive ? {} : { error: answer.status === 0 ? (answer.error ?? 'no answer') : `health answer in no known form (HTTP ${answer.status})` }),
      });
    } catch (error) {
      if (error instanceof NotOffered) {
        this.notProbed.add(target.service);
        return;
      }
      this.samples.push({ at, service: target.service, alive: false, status: 0, poolStatus: undefined, ms: performance.now() - started, error: (error as { code?: string }).code ?? String(error) });
    }
  }
}
