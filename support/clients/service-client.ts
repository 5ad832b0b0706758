import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import type { Duration } from '../duration';
import { limitsOf, type PoolShape } from '../pool-shape';
import { REQUEST } from '../timeouts';
import type { HealthDocument, LeakReport, LeakSettings, PoolSnapshot, RecoveryReport, RecoverySettings } from './contract';
import type { Outcome } from './outcome';

export type HealthAnswer = Outcome & { body: HealthDocument };

/**
 * A typed HTTP client for one service's contract (docs/operators.md). Requests never throw on an
 * HTTP status: every answer (and every missing answer) comes back as an Outcome to be accounted
 * for. Reads that the suite cannot do without (the pool snapshot, the recovery record) throw when
 * the service does not answer them.
 */
export class ServiceClient {
  private readonly http: AxiosInstance;

  constructor(
    readonly service: string,
    readonly baseUrl: string,
    private readonly adminToken: string,
  ) {
    this.http = axios.create({
      baseURL: baseUrl,
      timeout: REQUEST.http,
      validateStatus: () => true,
      httpAgent: new http.Agent({ keepAlive: true }),
    });
  }

  async request(method: 'GET' | 'POST' | 'PUT', path: string, options: { params?: Record<string, unknown>; data?: unknown; admin?: boolean; headers?: Record<string, string> } = {}): Promise<Outcome> {
    const startedAt = Date.now();
    const started = performance.now();
    try {
      const response = await this.http.request({
        method,
        url: path,
        params: options.params,
        data: options.data,
        headers: { ...options.headers, ...(options.admin ? { Authorization: `Bearer ${this.adminToken}` } : {}) },
      });
      const ms = performance.now() - started;
      const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
      return { status: response.status, headers, body: response.data, startedAt, finishedAt: startedAt + ms, ms, error: undefined };
    } catch (error) {
      const ms = performance.now() - started;
      const reason = axios.isAxiosError(error) ? `${error.code ?? ''} ${error.message}`.trim() : String(error);
      return { status: 0, headers: {}, body: undefined, startedAt, finishedAt: startedAt + ms, ms, error: reason };
    }
  }

  // ---- the workload: operations that need a database connection ----

  work(kind: 'fast' | 'fail'): Promise<Outcome> {
    return this.request('GET', `/api/work/${kind}`);
  }

  hold(duration: Duration): Promise<Outcome> {
    return this.request('GET', '/api/work/hold', { params: { seconds: duration.seconds } });
  }

  /** POST /api/work/leak (fault injection only): a handler that keeps (`held`) or drops its connection. */
  leak(mode: 'held' | 'dropped'): Promise<Outcome> {
    return this.request('POST', '/api/work/leak', { params: { mode }, data: {} });
  }

  // ---- what the service says about itself ----

  async health(): Promise<HealthAnswer> {
    return (await this.request('GET', '/health')) as HealthAnswer;
  }

  async metricsText(): Promise<string> {
    const outcome = await this.request('GET', '/metrics');
    if (outcome.status !== 200) throw new Error(`${this.service} /metrics answered ${outcome.status}`);
    return String(outcome.body);
  }

  async poolSnapshot(): Promise<PoolSnapshot> {
    return this.adminRead<PoolSnapshot>('/admin/pool');
  }

  async leakReport(): Promise<LeakReport> {
    return this.adminRead<LeakReport>('/admin/pool/leaks');
  }

  /** GET /admin/pool/recovery: the recovery record, run-time settings and the circuit breaker. */
  async recoveryReport(): Promise<RecoveryReport> {
    return this.adminRead<RecoveryReport>('/admin/pool/recovery');
  }

  // ---- what an administrator changes ----

  /** PUT /admin/pool/config with the parts of the shape given. */
  configurePool(change: Partial<PoolShape>): Promise<Outcome> {
    return this.sendPoolChange(limitsOf(change));
  }

  /** PUT /admin/pool/config with any body, valid or not (the bad-input rows send what a careless client would). */
  sendPoolChange(body: unknown): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/config', { data: body, admin: true });
  }

  configureLeaks(change: Partial<LeakSettings>): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/leaks', { data: change, admin: true });
  }

  configureRecovery(change: Partial<RecoverySettings>): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/recovery', { data: change, admin: true });
  }

  resetPool(): Promise<Outcome> {
    return this.request('POST', '/admin/pool/reset', { data: {}, admin: true });
  }

  /** POST /admin/gc: a full garbage collection in the service (needs --expose-gc). */
  collectGarbage(): Promise<Outcome> {
    return this.request('POST', '/admin/gc', { data: {}, admin: true });
  }

  private async adminRead<T>(path: string): Promise<T> {
    const outcome = await this.request('GET', path, { admin: true });
    if (outcome.status !== 200) throw new Error(`${this.service} ${path} answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as T;
  }
}
