import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import type { PoolLimits, PoolSnapshot } from '../support/clients/contract';
import type { Outcome } from '../support/clients/outcome';
import type { Duration } from '../support/duration';
import { REQUEST } from '../support/timeouts';

/**
 * The bench's client for our backend's own endpoints (docs/operators.md): the bench measures our
 * system, so it speaks its admin API directly. Requests never throw on an HTTP status: every answer
 * comes back as an Outcome. Reads the bench cannot do without (the pool snapshot) throw when the
 * service does not answer them.
 */
export class BackendClient {
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

  hold(duration: Duration): Promise<Outcome> {
    return this.request('GET', '/api/work/hold', { params: { seconds: duration.seconds } });
  }

  // ---- what the service says about itself ----

  async metricsText(): Promise<string> {
    const outcome = await this.request('GET', '/metrics');
    if (outcome.status !== 200) throw new Error(`${this.service} /metrics answered ${outcome.status}`);
    return String(outcome.body);
  }

  async poolSnapshot(): Promise<PoolSnapshot> {
    return this.adminRead<PoolSnapshot>('/admin/pool');
  }

  // ---- what an administrator changes ----

  /** PUT /admin/pool/config with the limits given. */
  configurePool(limits: Partial<PoolLimits>): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/config', { data: limits, admin: true });
  }

  private async adminRead<T>(path: string): Promise<T> {
    const outcome = await this.request('GET', path, { admin: true });
    if (outcome.status !== 200) throw new Error(`${this.service} ${path} answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as T;
  }
}
