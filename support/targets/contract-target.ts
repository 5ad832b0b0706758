import { expect } from 'chai';
import { AuthClient, TEST_USER } from '../clients/auth-client';
import type { HealthStatus, PoolSnapshot } from '../clients/contract';
import { sendRaw } from '../clients/raw-http';
import { WebSocketClient } from '../clients/websocket-client';
import type { Outcome } from '../clients/outcome';
import type { ServiceClient } from '../clients/service-client';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import type { Operations } from '../load/operations';
import { shapeOf, type PoolShape } from '../pool-shape';
import type { ServiceName } from '../system-under-test';
import { REQUEST, WAIT } from '../timeouts';
import { METRIC_MAPS } from './metric-maps';
import { prometheusReading } from './prometheus-reading';
import type { HealthReading, PoolReading, ServiceTarget } from './service-target';

const HEALTH_HTTP_STATUS = { healthy: 200, warning: 200, critical: 503 } as const;

/** A snapshot as a reading: every figure from the service's own JSON. */
export function readingOf(snapshot: PoolSnapshot): PoolReading {
  const { connections } = snapshot;
  return {
    service: snapshot.service,
    at: Date.parse(snapshot.at),
    active: connections.active,
    idle: connections.idle,
    waiting: connections.waiting,
    open: connections.total,
    capacity: connections.capacity,
    poolSize: connections.poolSize,
    utilization: snapshot.utilization,
    acquired: snapshot.counters.acquired,
    released: snapshot.counters.released,
    timeouts: snapshot.counters.timeouts,
    rejected: snapshot.counters.rejected,
    errors: snapshot.counters.errors,
    leaksDetected: snapshot.counters.leaksDetected,
    waitPercentilesMs: snapshot.waitMs,
    health: snapshot.health.status,
    evidence: Object.fromEntries(
      ['active', 'idle', 'waiting', 'open', 'capacity', 'poolSize', 'utilization', 'acquired', 'released', 'timeouts', 'rejected', 'errors', 'leaksDetected', 'waitPercentilesMs', 'health'].map((k) => [k, 'snapshot']),
    ),
  };
}

/**
 * Our own services, driven through the suite's test API (docs/operators.md): the pool shape through
 * PUT /admin/pool/config, holds through /api/work/hold, state from the GET /admin/pool snapshot.
 * Everything the features ask is offered.
 */
export class ContractTarget implements ServiceTarget {
  readonly holdKind = 'endpoint';
  readonly hasOverflow = true;
  readonly hasHealth = true;
  readonly refusalFormat = 'problem+json';
  readonly keepsHealthHistory = true;
  readonly hasWebSocket = true;
  readonly label: string;
  private current: PoolShape;

  constructor(
    readonly service: ServiceName,
    private readonly client: ServiceClient,
    startupShape: PoolShape,
  ) {
    this.label = `${service} (ours, through its test API)`;
    this.current = startupShape;
  }

  get url(): string {
    return this.client.baseUrl;
  }

  /** Our services name their pool's connections after themselves. */
  get applicationName(): string {
    return this.service;
  }

  get shape(): PoolShape {
    return this.current;
  }

  async beginScenario(startup: PoolShape): Promise<void> {
    await this.shapePool(startup);
  }

  /** Our pools have every knob. */
  departuresFrom(): string[] {
    return [];
  }

  async shapePool(change: Partial<PoolShape>): Promise<PoolShape> {
    const outcome = await this.client.configurePool(change);
    expect(outcome.status, `configuring the ${this.service} pool: ${JSON.stringify(outcome.body)}`).to.equal(200);
    this.current = shapeOf((outcome.body as PoolSnapshot).config);
    return this.current;
  }

  sendRequest(): Promise<Outcome> {
    return this.client.work('fast');
  }

  sendFailingRequest(): Promise<Outcome> {
    return this.client.work('fail');
  }

  async hold(operations: Operations, count: number, hold: Duration, label: string): Promise<void> {
    for (let i = 0; i < count; i++) operations.start(label, () => this.client.hold(hold));
    const expected = Math.min(count, (await this.client.poolSnapshot()).connections.capacity);
    await eventually(async () => {
      const { connections } = await this.client.poolSnapshot();
      expect(connections.active, `${this.service} connections held by the operations`).to.be.at.least(expected);
    }, { within: Math.min(hold.ms, WAIT.shortly) });
  }

  holdingRequest(hold: Duration) {
    return { method: 'GET' as const, path: `/api/work/hold?seconds=${hold.seconds}`, success: (status: number) => status >= 200 && status < 300 };
  }

  succeeded(outcome: Outcome): boolean {
    return outcome.status >= 200 && outcome.status < 300 && !outcome.failed;
  }

  login(): Promise<Outcome> {
    return new AuthClient(this.client).login(TEST_USER.email, TEST_USER.password);
  }

  checkToken(token: string): Promise<Outcome> {
    return new AuthClient(this.client).me(token);
  }

  async signIn(): Promise<{ login: Outcome; tokenCheck: Outcome }> {
    const login = await this.login();
    const token = (login.body as { accessToken?: string } | undefined)?.accessToken ?? '';
    return { login, tokenCheck: await this.checkToken(token) };
  }

  /** Signed by the auth service through its admin API, with a lifetime of minus one minute. */
  expiredToken(): Promise<string> {
    return new AuthClient(this.client).adminToken(TEST_USER.email, -60);
  }

  token(): Promise<string> {
    return new AuthClient(this.client).token();
  }

  openWebSocket(token: string | undefined): Promise<WebSocketClient> {
    return WebSocketClient.connect(this.client.baseUrl, token);
  }

  async poolState(): Promise<PoolReading> {
    return readingOf(await this.client.poolSnapshot());
  }

  /** GET /health, bounded like a liveness probe: a live service answers it at once. */
  /** Both channels it reports through: the JSON snapshot and Prometheus (GET /metrics). */
  async ownReports(): Promise<PoolReading[]> {
    const [snapshot, metrics] = await Promise.all([this.client.poolSnapshot(), this.client.metricsText()]);
    return [readingOf(snapshot), prometheusReading(this.service, metrics, METRIC_MAPS.ours)];
  }

  async health(): Promise<HealthReading> {
    const answer = await sendRaw(this.client.baseUrl, { method: 'GET', path: '/health' }, REQUEST.livenessProbe);
    const body = answer.body as { poolStatus?: HealthStatus; status?: string } | undefined;
    const wellFormed = /^application\/health\+json/.test(answer.headers['content-type'] ?? '') && ['pass', 'warn', 'fail'].includes(String(body?.status));
    const status = wellFormed ? body?.poolStatus : undefined;
    return { status, answer, expectedHttpStatus: status ? HEALTH_HTTP_STATUS[status] : undefined };
  }

  testApi(): ServiceClient {
    return this.client;
  }

  async releaseScenario(): Promise<void> {
    // Nothing held outside the scenario's own requests.
  }
}
