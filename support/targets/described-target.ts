import type { HealthStatus } from '../clients/contract';
import type { DatabaseAudit } from '../clients/database-audit';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { sendRaw, type RawRequest } from '../clients/raw-http';
import type { ServiceClient } from '../clients/service-client';
import { DatabaseLock } from '../clients/target-database';
import { WebSocketClient } from '../clients/websocket-client';
import { Duration } from '../duration';
import type { Operations } from '../load/operations';
import { describeShape, type PoolShape } from '../pool-shape';
import type { ServiceName } from '../system-under-test';
import { REQUEST, WAIT } from '../timeouts';
import type { HealthDescription, RequestDescription, ServiceDescription, SuccessDescription } from './description';
import { METRIC_MAPS, type MetricNameMap } from './metric-maps';
import { prometheusReading } from './prometheus-reading';
import { NotOffered } from './not-offered';
import type { HealthReading, PoolReading, ServiceTarget } from './service-target';
import { fillTemplate, templateVariables, type TemplateValue } from './templates';

/** What a described service's pool lets the suite set, knob by knob, and what it is when it cannot. */
export interface PoolKnobs {
  /** {capacity}: one pool size that is pool_size + max_overflow (node-postgres' `max`). */
  capacityOnly: boolean;
  maxOverflow: 'knob' | 'part of the pool size' | number;
  poolTimeout: 'knob' | 'waits without bound' | Duration;
  maxQueue: 'knob' | 'unbounded' | number;
}

const SHAPE_VARIABLES = ['poolSize', 'maxOverflow', 'capacity', 'poolTimeoutSeconds', 'poolTimeoutMs', 'maxQueue'];

/** The knobs a described service has: from its restart templates, or the fixed shape it declares. */
export function knobsOf(service: ServiceDescription): PoolKnobs {
  const { pool } = service;
  if (pool.shape === 'fixed') {
    const { is } = pool;
    return {
      capacityOnly: is.maxOverflow === 'part of the pool size',
      maxOverflow: is.maxOverflow,
      poolTimeout: is.poolTimeout === 'waits without bound' ? is.poolTimeout : Duration.parse(is.poolTimeout),
      maxQueue: is.maxQueue,
    };
  }
  const used = new Set(service.start ? [...service.start.command, ...Object.values(service.start.env)].flatMap((t) => templateVariables(t)) : []);
  const lacking = pool.shape === 'restart' ? pool.lacking : {};
  return {
    capacityOnly: used.has('capacity'),
    maxOverflow: used.has('maxOverflow') ? 'knob' : used.has('capacity') ? 'part of the pool size' : (lacking.maxOverflow ?? 0),
    poolTimeout: used.has('poolTimeoutSeconds') || used.has('poolTimeoutMs') ? 'knob' : (lacking.poolTimeout ?? 'waits without bound'),
    maxQueue: used.has('maxQueue') ? 'knob' : (lacking.maxQueue ?? 'unbounded'),
  };
}

/** The shape a described service starts with. */
export function initialShape(service: ServiceDescription): PoolShape {
  const { pool } = service;
  const knobs = knobsOf(service);
  if (pool.shape === 'fixed') {
    const capacityOnly = knobs.capacityOnly;
    return {
      poolSize: pool.is.poolSize,
      maxOverflow: capacityOnly ? 0 : (pool.is.maxOverflow as number),
      poolTimeout: typeof knobs.poolTimeout === 'string' ? Duration.UNBOUNDED : knobs.poolTimeout,
      maxQueue: typeof pool.is.maxQueue === 'number' ? pool.is.maxQueue : Number.POSITIVE_INFINITY,
    };
  }
  if (pool.shape !== 'restart') throw new Error(`unexpected condition: ${pool.shape} is not a described pool`);
  const start = pool.startWith;
  return {
    poolSize: start.poolSize,
    maxOverflow: start.maxOverflow ?? 0,
    poolTimeout: start.poolTimeout ? Duration.parse(start.poolTimeout) : Duration.UNBOUNDED,
    maxQueue: start.maxQueue ?? Number.POSITIVE_INFINITY,
  };
}

/** The shape-related template values of a shape. */
export function shapeValues(shape: PoolShape): Record<string, TemplateValue> {
  return {
    poolSize: shape.poolSize,
    maxOverflow: shape.maxOverflow,
    capacity: shape.poolSize + shape.maxOverflow,
    poolTimeoutSeconds: shape.poolTimeout.seconds,
    poolTimeoutMs: Math.round(shape.poolTimeout.ms),
    maxQueue: shape.maxQueue,
  };
}

/**
 * The shape `change` asks for, as far as this service can be given it; NotOffered naming the knob
 * otherwise. A service whose pool has one size (node-postgres' `max`) takes pool_size + max_overflow
 * as that size. A bound the service does not have at all (no pool timeout, no queue limit) is not a
 * reason to skip: the scenario runs with the service as it is, and its checks judge what it does
 * instead (departuresFrom says so in the report).
 */
export function planShape(name: string, knobs: PoolKnobs, current: PoolShape, change: Partial<PoolShape>): PoolShape {
  const next: PoolShape = { ...current, ...change };
  if (change.maxOverflow !== undefined && typeof knobs.maxOverflow === 'number' && change.maxOverflow !== knobs.maxOverflow) {
    throw new NotOffered(`max_overflow ${change.maxOverflow}`, `${name} has no overflow of its own (its overflow is ${knobs.maxOverflow})`);
  }
  if (change.poolTimeout !== undefined && knobs.poolTimeout !== 'knob') {
    const fixed = knobs.poolTimeout;
    if (fixed === 'waits without bound') next.poolTimeout = Duration.UNBOUNDED;
    else if (fixed.ms !== change.poolTimeout.ms) throw new NotOffered(`a pool timeout of ${change.poolTimeout}`, `${name} runs with a fixed pool timeout of ${fixed}`);
  }
  if (change.maxQueue !== undefined && knobs.maxQueue !== 'knob') {
    const fixed = knobs.maxQueue;
    if (fixed === 'unbounded') next.maxQueue = Number.POSITIVE_INFINITY;
    else if (fixed !== change.maxQueue) throw new NotOffered(`a bound of ${change.maxQueue} waiting requests`, `${name} runs with a fixed bound of ${fixed}`);
  }
  return next;
}

/** The bounds `change` asks for that this service does not have, in words: the scenario runs without them. */
export function departuresFrom(name: string, knobs: PoolKnobs, change: Partial<PoolShape>): string[] {
  const departures: string[] = [];
  if (change.poolTimeout !== undefined && knobs.poolTimeout === 'waits without bound') {
    departures.push(`${name} has no pool timeout: the scenario asks for ${change.poolTimeout}, and its requests wait for a connection without bound`);
  }
  if (change.maxQueue !== undefined && knobs.maxQueue === 'unbounded') {
    departures.push(`${name} has no queue limit: the scenario asks for ${change.maxQueue} waiting requests at most, and it lets any number wait`);
  }
  return departures;
}

/** What the described service's runtime gives its target: where it is, how to restart it, the database's view. */
export interface DescribedRuntime {
  url: string;
  /** Restarts the service with another shape (restart targets). */
  restart(shape: PoolShape): Promise<void>;
  /** The suite's own view of the database (superuser): pg_stat_activity. */
  audit(): DatabaseAudit;
  /** A superuser URL on the service's own database: where the hold's lock is taken. */
  lockUrl: string | undefined;
}

/** A reading's figures from one source. */
type Figures = Omit<PoolReading, 'service' | 'at' | 'evidence'>;

/**
 * A service described in a target file (targets/<name>.yaml): it has none of the suite's test
 * endpoints, so the shape is set by a restart (or is fixed), connections are held the way the file
 * says (its own endpoint, a lock from the database side, a sleeping SQL function), and its pool is
 * read from Prometheus or pg_stat_activity. What the file does not give is NotOffered.
 */
export class DescribedTarget implements ServiceTarget {
  readonly label: string;
  readonly databaseRole: string | undefined;
  readonly hasOverflow: boolean;
  readonly keepsHealthHistory = false;
  private readonly knobs: PoolKnobs;
  /** The shape the scenario wants (the start-up shape and the changes its steps asked for). */
  private wanted: PoolShape;
  /** The shape the service runs with now. */
  private running: PoolShape;
  /** Whether it was (re)started for the scenario under way. */
  private fresh = true;
  private lock: { lock: Promise<DatabaseLock>; releaseAt: number; timer: NodeJS.Timeout | undefined } | undefined;

  constructor(
    readonly service: ServiceName,
    private readonly targetName: string,
    private readonly description: ServiceDescription,
    private readonly runtime: DescribedRuntime,
  ) {
    this.label = `${service} (${targetName})`;
    this.databaseRole = description.database.role;
    this.knobs = knobsOf(description);
    this.hasOverflow = !this.knobs.capacityOnly && this.knobs.maxOverflow === 'knob';
    this.running = initialShape(description);
    this.wanted = this.running;
  }

  get holdKind() {
    return this.description.hold.via;
  }

  get url(): string {
    return this.runtime.url;
  }

  get refusalFormat(): 'problem+json' | 'any' {
    return this.description.refusals;
  }

  get hasWebSocket(): boolean {
    return this.description.websocket !== undefined;
  }

  get hasHealth(): boolean {
    return this.description.health !== undefined;
  }

  get applicationName(): string {
    return this.description.database.applicationName;
  }

  get shape(): PoolShape {
    return this.wanted;
  }

  /**
   * A scenario starts from the start-up shape and from a fresh process: the service is restarted
   * before the scenario first uses it, so nothing one scenario left behind (an open circuit breaker,
   * a connection it still holds) reaches the next — as the admin API's reset does for our services.
   */
  async beginScenario(startup: PoolShape): Promise<void> {
    this.wanted = startup;
    this.fresh = this.description.pool.shape !== 'restart';
  }

  departuresFrom(change: Partial<PoolShape>): string[] {
    return departuresFrom(this.targetName, this.knobs, change);
  }

  async shapePool(change: Partial<PoolShape>): Promise<PoolShape> {
    this.wanted = planShape(this.targetName, this.knobs, this.wanted, change);
    await this.applyShape();
    return this.wanted;
  }

  /** A restart under way (for the scenario's shape), which every other use waits for. */
  private restarting: Promise<void> | undefined;
  /** When it was restarted (epoch ms; the last one may still be under way): polls then may meet the old process closing. */
  private readonly restarts: Array<{ from: number; to: number }> = [];

  /** Restarts the service before the scenario uses it: once per scenario, and whenever the scenario wants another shape. */
  private async applyShape(): Promise<void> {
    // Requests sent at once (a login storm) share one restart rather than each starting its own.
    while (this.restarting) await this.restarting;
    if (this.fresh && describeShape(this.wanted) === describeShape(this.running)) return;
    if (this.description.pool.shape === 'fixed') {
      throw new NotOffered(`a pool of ${describeShape(this.wanted)}`, `${this.targetName} runs with a fixed pool of ${describeShape(this.running)}`);
    }
    const wanted = this.wanted;
    const window = { from: Date.now(), to: Number.POSITIVE_INFINITY };
    this.restarts.push(window);
    this.restarting = (async () => {
      await this.releaseScenario();
      await this.runtime.restart(wanted);
      this.running = wanted;
      this.fresh = true;
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = undefined;
      window.to = Date.now();
    }
  }

  restartedBetween(from: number, to: number): boolean {
    return this.restarts.some((window) => window.from <= to && window.to >= from);
  }

  async sendRequest(): Promise<Outcome> {
    await this.applyShape();
    return this.send(this.description.request, this.description.success, {});
  }

  async sendFailingRequest(): Promise<Outcome> {
    const request = this.description.failingRequest;
    if (!request) throw new NotOffered('a request that fails inside the database', `the target file describes none for ${this.targetName} (failingRequest)`);
    await this.applyShape();
    return this.send(request, this.description.success, {});
  }

  async hold(operations: Operations, count: number, hold: Duration, label: string): Promise<void> {
    await this.applyShape();
    const { hold: how } = this.description;
    const audit = this.runtime.audit();
    const appName = this.description.database.applicationName;
    const capacity = this.running.poolSize + this.running.maxOverflow;
    if (how.via === 'database-lock') {
      const before = await audit.lockWaitersOf(appName);
      await this.takeLock(hold);
      for (let i = 0; i < count; i++) operations.start(label, () => this.sendRequest());
      const expected = Math.min(before + count, capacity);
      await this.until(async () => (await audit.lockWaitersOf(appName)) >= expected, Math.min(hold.ms, WAIT.shortly), async () =>
        `the hold did not hold: ${count} requests were sent while the suite held "${how.lock}", but ${await audit.lockWaitersOf(appName)} of ${expected} ${appName} connections waited on it ` +
        '(is hold.lock a lock the described request must wait for, and database.applicationName how its connections are named?)',
      );
      return;
    }
    for (let i = 0; i < count; i++) operations.start(label, () => this.send(how.request, how.via === 'sql-function' ? (how.success ?? this.description.success) : this.description.success, { seconds: hold.seconds }));
    const expected = Math.min(count, capacity);
    await this.until(async () => ((await this.poolState()).active ?? 0) >= expected, Math.min(hold.ms, WAIT.shortly), async () =>
      `the hold did not hold: ${count} requests holding a connection for ${hold} were sent, but the pool shows ${(await this.poolState()).active} of ${expected} connections in use`,
    );
  }

  holdingRequest(hold: Duration) {
    const how = this.description.hold;
    if (how.via === 'database-lock') {
      throw new NotOffered('a request that holds its connection for a given time', `${this.targetName} is held only by a lock from the database side, which holds every request at once (the file describes no hold endpoint or sleeping SQL function)`);
    }
    const success = how.via === 'sql-function' ? (how.success ?? this.description.success) : this.description.success;
    const raw = this.raw(how.request, { seconds: hold.seconds });
    return { ...raw, success: (status: number, body: string) => judge(success, status, body) === undefined };
  }

  succeeded(outcome: Outcome): boolean {
    return this.description.success.status.includes(outcome.status) && !outcome.failed;
  }

  async ownReports(): Promise<PoolReading[]> {
    const sources = this.description.state.filter((source): source is Extract<typeof source, { via: 'prometheus' }> => source.via === 'prometheus');
    return Promise.all(sources.map((source) => this.readPrometheus(source)));
  }

  private get signInRequests(): NonNullable<ServiceDescription['signIn']> {
    const signIn = this.description.signIn;
    if (!signIn) throw new NotOffered('a way to sign in', `the target file describes none for ${this.targetName} ${this.service} (signIn)`);
    return signIn;
  }

  async login(): Promise<Outcome> {
    const { login } = this.signInRequests;
    // A login needs the service's pool: in the scenario's shape, like any other request.
    await this.applyShape();
    return this.send(login, this.description.success, {});
  }

  checkToken(token: string): Promise<Outcome> {
    return this.send(this.signInRequests.check, this.description.success, { token });
  }

  async signIn(): Promise<{ login: Outcome; tokenCheck: Outcome }> {
    const login = await this.login();
    const token = valueAt(login.body, this.signInRequests.token);
    return { login, tokenCheck: await this.checkToken(typeof token === 'string' ? token : '') };
  }

  expiredToken(): Promise<string> {
    throw new NotOffered('a token that has expired', `only the auth service can sign one, and ${this.targetName} gives the suite no way to ask it (the suite's test API has one)`);
  }

  async token(): Promise<string> {
    const { login } = await this.signIn();
    const token = valueAt(login.body, this.description.signIn!.token);
    if (typeof token !== 'string' || !this.succeeded(login)) throw new Error(`${this.label}: signing in answered ${describeOutcome(login)} ${JSON.stringify(login.body)?.slice(0, 200)}`);
    return token;
  }

  async openWebSocket(token: string | undefined): Promise<WebSocketClient> {
    const ws = this.description.websocket;
    if (!ws) throw new NotOffered('a WebSocket', `the target file describes none for ${this.targetName} ${this.service} (websocket)`);
    // Restarted now if the scenario wants another shape: never later, which would close this socket.
    await this.applyShape();
    return WebSocketClient.connect(this.url, token, ws.token, ws.path);
  }

  async poolState(): Promise<PoolReading> {
    const reading: PoolReading = { service: this.service, at: Date.now(), evidence: {} };
    for (const source of this.description.state) {
      const figures = await this.readSource(source);
      for (const [key, value] of Object.entries(figures) as Array<[keyof Figures, number]>) {
        if (value === undefined || reading[key] !== undefined) continue;
        (reading as unknown as Record<string, number>)[key] = value;
        reading.evidence[key] = source.via;
      }
    }
    if (reading.capacity === undefined) {
      reading.capacity = this.running.poolSize + this.running.maxOverflow;
      reading.evidence.capacity = 'the shape the suite set';
    }
    if (reading.poolSize === undefined && this.hasOverflow) {
      reading.poolSize = this.running.poolSize;
      reading.evidence.poolSize = 'the shape the suite set';
    }
    return reading;
  }

  async health(): Promise<HealthReading> {
    const health = this.description.health;
    if (!health) throw new NotOffered('a health check', `${this.targetName} has none (the target file describes no health)`);
    const answer = await sendRaw(this.url, { method: 'GET', path: health.path }, REQUEST.livenessProbe);
    return { answer, ...mapHealth(health, answer) };
  }

  testApi(): ServiceClient {
    throw new NotOffered("the suite's own test API", `${this.targetName} is driven without it (the target file describes its service by its own endpoints)`);
  }

  async releaseScenario(): Promise<void> {
    const held = this.lock;
    this.lock = undefined;
    if (!held) return;
    clearTimeout(held.timer);
    await (await held.lock.catch(() => undefined))?.release();
  }

  /** Takes the hold's lock (or keeps the one held), released `hold` from now: overlapping holds end together, at the latest. */
  private async takeLock(hold: Duration): Promise<void> {
    const how = this.description.hold;
    if (how.via !== 'database-lock') return;
    if (!this.runtime.lockUrl) throw new NotOffered('a lock from the database side', `there is no database URL to take it from (database.adminUrl)`);
    const releaseAt = Date.now() + hold.ms;
    if (!this.lock) this.lock = { lock: DatabaseLock.take(this.runtime.lockUrl, how.lock), releaseAt: 0, timer: undefined };
    const held = this.lock;
    await held.lock;
    if (releaseAt <= held.releaseAt) return;
    held.releaseAt = releaseAt;
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      if (this.lock === held) void this.releaseScenario();
    }, hold.ms);
  }

  private async until(done: () => Promise<boolean>, withinMs: number, why: () => Promise<string>): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!(await done())) {
      if (Date.now() >= deadline) throw new Error(await why());
      await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
    }
  }

  private raw(request: RequestDescription, values: Record<string, TemplateValue>): RawRequest {
    const where = `${this.targetName} ${this.service} request ${request.method} ${request.path}`;
    const fill = (text: string) => fillTemplate(text, values, where);
    return {
      method: request.method,
      path: fill(request.path),
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, fill(value)])),
      ...(request.body === undefined ? {} : { body: fill(request.body) }),
    };
  }

  private async send(request: RequestDescription, success: SuccessDescription, values: Record<string, TemplateValue>): Promise<Outcome> {
    const outcome = await sendRaw(this.url, this.raw(request, values), REQUEST.http);
    const failure = outcome.status === 0 ? undefined : judge(success, outcome.status, typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body));
    return failure && outcome.status >= 200 && outcome.status < 300 ? { ...outcome, failed: true, error: failure } : outcome;
  }

  private async readPrometheus(source: Extract<ServiceDescription['state'][number], { via: 'prometheus' }>): Promise<PoolReading> {
    const answer = await sendRaw(this.url, { method: 'GET', path: source.path }, REQUEST.livenessProbe);
    if (answer.status !== 200) throw new Error(`${this.targetName} ${source.path} answered ${answer.status || answer.error}`);
    const names: MetricNameMap = typeof source.names === 'string' ? METRIC_MAPS[source.names as keyof typeof METRIC_MAPS] : source.names;
    return prometheusReading(this.service, String(answer.body), names, source.labels);
  }

  private async readSource(source: ServiceDescription['state'][number]): Promise<Figures> {
    switch (source.via) {
      case 'snapshot':
        throw new NotOffered('the pool snapshot', "it is the suite's own test API");
      case 'pg_stat_activity': {
        const { total, busy } = await this.runtime.audit().connectionsOf(this.description.database.applicationName);
        return { active: busy, idle: total - busy, open: total };
      }
      case 'prometheus': {
        const { service: _service, at: _at, evidence: _evidence, ...figures } = await this.readPrometheus(source);
        return figures;
      }
    }
  }
}

/** The value at a dotted path of a JSON answer ("accessToken", "data.login.token"). */
function valueAt(body: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), body);
}

/** Why an answer is not a success by the target's rule, or undefined when it is one. */
function judge(success: SuccessDescription, status: number, body: string): string | undefined {
  if (!success.status.includes(status)) return `status ${status}, not ${success.status.join(' or ')}`;
  if (success.bodyExcludes && body.includes(success.bodyExcludes)) return `answered ${status} with ${success.bodyExcludes} in its body: ${body.slice(0, 200)}`;
  return undefined;
}

/** A health answer in the plan's words, by the file's mapping (a JSON field, or the HTTP status alone). */
export function mapHealth(health: HealthDescription, answer: Outcome): { status: HealthStatus | undefined; expectedHttpStatus: number | undefined } {
  if ('byStatus' in health) {
    if (health.byStatus.healthy.includes(answer.status)) return { status: 'healthy', expectedHttpStatus: answer.status };
    if (health.byStatus.critical.includes(answer.status)) return { status: 'critical', expectedHttpStatus: answer.status };
    return { status: undefined, expectedHttpStatus: undefined };
  }
  const value = answer.body && typeof answer.body === 'object' ? String((answer.body as Record<string, unknown>)[health.field]) : undefined;
  const status = (['healthy', 'warning', 'critical'] as const).find((word) => value !== undefined && health[word].includes(value));
  return { status, expectedHttpStatus: undefined };
}

export { SHAPE_VARIABLES };
