import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import type { HealthDocument, PoolLimits, PoolSnapshot, RecoveryReport, RecoverySettings } from './contract';
import type { Outcome } from './outcome';

/** Longer than any operation the plan prescribes, so a hung service shows as "no answer". */
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * A typed HTTP client for one service. Requests never throw on an HTTP status: every answer
 * (and every missing answer) comes back as an Outcome to be accounted for.
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
      timeout: REQUEST_TIMEOUT_MS,
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

  async poolSnapshot(): Promise<PoolSnapshot> {
    const outcome = await this.request('GET', '/admin/pool', { admin: true });
    if (outcome.status !== 200) throw new Error(`${this.service} /admin/pool answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as PoolSnapshot;
  }

  configurePool(change: Partial<PoolLimits> | Record<string, unknown>): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/config', { data: change, admin: true });
  }

  async health(): Promise<Outcome & { body: HealthDocument }> {
    return (await this.request('GET', '/health')) as Outcome & { body: HealthDocument };
  }

  work(kind: 'fast' | 'fail'): Promise<Outcome> {
    return this.request('GET', `/api/work/${kind}`);
  }

  hold(seconds: number): Promise<Outcome> {
    return this.request('GET', '/api/work/hold', { params: { seconds } });
  }

  /** Recovery (README "Recovery"): the record, run-time settings, the emergency reset. */
  async recoveryReport(): Promise<RecoveryReport> {
    const outcome = await this.request('GET', '/admin/pool/recovery', { admin: true });
    if (outcome.status !== 200) throw new Error(`${this.service} /admin/pool/recovery answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return outcome.body as RecoveryReport;
  }

  configureRecovery(change: Partial<RecoverySettings>): Promise<Outcome> {
    return this.request('PUT', '/admin/pool/recovery', { data: change, admin: true });
  }

  resetPool(): Promise<Outcome> {
    return this.request('POST', '/admin/pool/reset', { data: {}, admin: true });
  }
}
