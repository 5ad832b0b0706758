import type { DatabaseAudit } from '../clients/database-audit';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { sendRaw, type RawRequest } from '../clients/raw-http';
import { DatabaseLock } from '../clients/target-database';
import type { WebSocketClient } from '../clients/websocket-client';
import type { Duration } from '../duration';
import type { Operations, TrackedOperation } from '../load/operations';
import { REQUEST, WAIT } from '../timeouts';
import { abilitiesOf, checkAbilities } from './abilities';
import { readHealth } from './health-reader';
import { valueAt } from './json-path';
import { NotOffered } from './not-offered';
import { PoolReaders } from './pool-readers';
import { refusalRulesOf, type RefusalRules } from './refusal-rules';
import type { RequestDescription, ServiceDescription, SuccessDescription } from './schema';
import { SettingsGate } from './settings-gate';
import { knobsOf, settingValues, type Knobs, type ScenarioSettings } from './settings';
import type { Abilities, HealthReading, PoolReading, ServiceName, ServiceTarget, SpawnedInstance } from './service-target';
import { TargetHttp, type TemplateValues } from './target-http';
import { fillTemplate } from './templates';
import { TokenMaker } from './token-maker';
import { openHouseWebSocket, openWebSocket, protocolOf, webSocketRulesOf, type WebSocketRules } from './websocket-speaker';

/** What the service's runtime gives its target: where it is, how to restart it, the database's view. */
export interface DescribedRuntime {
  url: string;
  /** The service's own placeholder values: its secrets, its URL, its database. */
  values(): TemplateValues;
  /** Restarts the service with other settings (restart targets). */
  restart(settings: ScenarioSettings): Promise<void>;
  /** The suite's own view of the database (superuser): pg_stat_activity. */
  audit(): DatabaseAudit;
  /** A superuser URL on the service's own database: where a hold's lock is taken. */
  lockUrl: string | undefined;
  database: { role: string; name: string };
  /** Another process of the service, where the suite starts it. */
  spawn: ((env: Record<string, string>) => Promise<SpawnedInstance>) | undefined;
}

/** Why an answer is not a success by the target's rule, or undefined when it is one. */
function judge(success: SuccessDescription, status: number, body: string): string | undefined {
  if (!success.status.includes(status)) return `status ${status}, not ${success.status.join(' or ')}`;
  if (success.bodyExcludes && body.includes(success.bodyExcludes)) return `answered ${status} with ${success.bodyExcludes} in its body: ${body.slice(0, 200)}`;
  return undefined;
}

const bodyText = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body) ?? '');

/**
 * A service as its target description (targets/<name>.yaml) says it is driven and read — our own
 * services included (targets/ours.yaml). Every action passes the settings gate first; holds are
 * taken the way the file says (its own endpoint, a lock from the database side, a sleeping SQL
 * function); its pool is read from JSON, Prometheus or pg_stat_activity. What the file does not
 * give is NotOffered.
 */
export class DescribedTarget implements ServiceTarget {
  readonly label: string;
  readonly applicationName: string;
  readonly database: { role: string; name: string };
  readonly overflow: 'its own' | 'part of the pool size';
  readonly refusals: RefusalRules;
  readonly tokens: TokenMaker;
  readonly webSocket: WebSocketRules | undefined;
  readonly abilities: Abilities;
  readonly knobs: Knobs;
  private readonly http: TargetHttp;
  private readonly gate: SettingsGate;
  private readonly readers: PoolReaders;
  /** The hold's lock from the database side, and how many of the requests it holds are still unanswered. */
  private lock: { lock: Promise<DatabaseLock>; releaseAt: number; timer: NodeJS.Timeout | undefined; unanswered: number } | undefined;

  constructor(
    readonly service: ServiceName,
    private readonly targetName: string,
    private readonly description: ServiceDescription,
    private readonly runtime: DescribedRuntime,
  ) {
    this.label = `${service} (${targetName})`;
    this.applicationName = description.database.applicationName;
    this.database = runtime.database;
    this.knobs = knobsOf(description);
    this.overflow = this.knobs.capacityOnly || this.knobs.of.maxOverflow.kind === 'lacking' ? 'part of the pool size' : 'its own';
    this.refusals = refusalRulesOf(description.refusals);
    this.http = new TargetHttp(`${targetName} ${service}`, runtime.url, () => ({ ...runtime.values(), ...settingValues(this.gate.settings) }));
    this.gate = new SettingsGate(this.label, description.settings, this.knobs, {
      restart: (settings) => this.restartWith(settings),
      send: (request, values, field) => this.http.send(request, values, { field }),
    });
    this.readers = new PoolReaders(service, description.state, this.http, () => runtime.audit(), this.applicationName, () => this.gate.settings, this.overflow);
    const expired = description.tokens?.expired;
    this.tokens = new TokenMaker(this.label, description.tokens, () => this.secretValue(), expired ? () => this.http.send(expired.request, {}, { field: 'tokens.expired.request' }) : undefined);
    this.webSocket = description.websocket ? webSocketRulesOf(description.websocket) : undefined;
    this.abilities = abilitiesOf(this.label, description.abilities, this.http, () => this.gate.apply());
    this.addServiceAbilities();
  }

  get url(): string {
    return this.runtime.url;
  }

  /** What its description offers beyond what every target has (for the skip rule, support/needs.ts). */
  offers(what: 'websocket' | 'sign-in' | 'health'): boolean {
    return { websocket: this.description.websocket, 'sign-in': this.description.signIn, health: this.description.health }[what] !== undefined;
  }

  get holdKind() {
    return this.description.hold.via;
  }

  get settings(): ScenarioSettings {
    return this.gate.settings;
  }

  /** Reads once, before the run, what the description says can be read (its pool's reports, its abilities): a mistake in the file stops the run, naming it. Answers notes for the run's start. */
  async checkDescribedReads(where: string): Promise<string[]> {
    await this.readers.check(where);
    return checkAbilities(where, this.description.abilities, this.abilities, this.http);
  }

  restartedBetween(from: number, to: number): boolean {
    return this.gate.restartedBetween(from, to);
  }

  async beginScenario(afterRestart?: () => Promise<void>): Promise<void> {
    this.gate.begin(afterRestart);
    // An admin API is cheap to set at once; a restart waits for the scenario's first use.
    if (this.description.settings.how === 'admin-api') await this.gate.apply();
  }

  change(settings: Partial<ScenarioSettings>): string[] {
    return this.gate.change(settings);
  }

  /** Applies the settings now (a Given step: the service is in them before the scenario goes on). */
  applySettings(): Promise<void> {
    return this.gate.apply();
  }

  async sendRequest(): Promise<Outcome> {
    await this.gate.apply();
    return this.send(this.description.request, this.description.success);
  }

  async sendFailingRequest(): Promise<Outcome> {
    const request = this.description.failingRequest;
    if (!request) throw new NotOffered('a request that fails inside the database', `the target file describes none for ${this.label} (failingRequest)`);
    await this.gate.apply();
    return this.send(request, this.description.success);
  }

  async hold(operations: Operations, count: number, hold: Duration, label: string): Promise<void> {
    await this.gate.apply();
    const before = this.holdKind === 'database-lock' ? await this.heldNow() : 0;
    for (let i = 0; i < count; i++) await this.startHold(operations, hold, label);
    const capacity = this.gate.settings.poolSize + this.gate.settings.maxOverflow;
    const expected = Math.min(before + count, capacity);
    await this.until(async () => (await this.heldNow()) >= expected, Math.min(hold.ms, WAIT.shortly), async () =>
      this.holdKind === 'database-lock'
        ? `the hold did not hold: ${count} requests were sent while the suite held "${(this.description.hold as { lock: string }).lock}", but ${await this.heldNow()} of ${expected} ${this.applicationName} connections waited on it ` +
          '(is hold.lock a lock the described request must wait for, and database.applicationName how its connections are named?)'
        : `the hold did not hold: ${count} requests holding a connection for ${hold} were sent, but the pool shows ${await this.heldNow()} of ${expected} connections in use`,
    );
  }

  /**
   * Starts one operation that holds a connection for `hold`, without waiting for it to hold: the
   * service's hold request, or (a lock target) its request while the suite holds the lock.
   */
  async startHold(operations: Operations, hold: Duration, label: string): Promise<TrackedOperation> {
    await this.gate.apply();
    const how = this.description.hold;
    if (how.via === 'database-lock') {
      const held = await this.takeLock(how.lock, hold);
      held.unanswered++;
      const operation = operations.start(label, () => this.send(this.description.request, this.description.success));
      // Once every request the lock holds has been answered (the service cancelled them, or gave up on
      // them), the hung statements are gone: the lock goes too, or it would hang the next requests the
      // plan sends as ordinary ones.
      void operation.result.finally(() => {
        if (--held.unanswered === 0 && this.lock === held) void this.releaseScenario();
      });
      return operation;
    }
    return operations.start(label, () => this.send(how.request, how.success ?? this.description.success, { seconds: hold.seconds }));
  }

  /** How many connections the suite's holds hold now: the pool's connections in use, or (a lock target) its connections waiting on the lock. */
  async heldNow(): Promise<number> {
    if (this.holdKind === 'database-lock') return this.runtime.audit().lockWaitersOf(this.applicationName);
    return (await this.poolState()).active ?? 0;
  }

  async holdingRequest(hold: Duration): Promise<RawRequest & { success: (status: number, body: string) => boolean }> {
    const how = this.description.hold;
    if (how.via === 'database-lock') {
      throw new NotOffered('a request that holds its connection for a given time', `${this.label} is held only by a lock from the database side, which holds every request at once (the file describes no hold endpoint or sleeping SQL function)`);
    }
    await this.gate.apply();
    const success = how.success ?? this.description.success;
    return { ...this.http.raw(how.request, { seconds: hold.seconds }, 'hold.request'), success: (status: number, body: string) => judge(success, status, body) === undefined };
  }

  succeeded(outcome: Outcome): boolean {
    return this.description.success.status.includes(outcome.status) && !outcome.failed;
  }

  private get signInRequests(): NonNullable<ServiceDescription['signIn']> {
    const signIn = this.description.signIn;
    if (!signIn) throw new NotOffered('a way to sign in', `the target file describes none for ${this.label} (signIn)`);
    return signIn;
  }

  async login(): Promise<Outcome> {
    const { login } = this.signInRequests;
    await this.gate.apply();
    return this.send(login, this.description.success);
  }

  tokenOf(login: Outcome): string | undefined {
    const token = valueAt(login.body, this.signInRequests.token);
    return typeof token === 'string' ? token : undefined;
  }

  checkToken(token: string): Promise<Outcome> {
    return this.send(this.signInRequests.check, this.description.success, { token });
  }

  async signIn(): Promise<{ login: Outcome; tokenCheck: Outcome }> {
    const login = await this.login();
    return { login, tokenCheck: await this.checkToken(this.tokenOf(login) ?? '') };
  }

  async token(): Promise<string> {
    const login = await this.login();
    const token = this.tokenOf(login);
    if (token === undefined || !this.succeeded(login)) throw new Error(`${this.label}: signing in answered ${describeOutcome(login)} ${JSON.stringify(login.body)?.slice(0, 200)} (no token at signIn.token: ${this.signInRequests.token})`);
    return token;
  }

  async openWebSocket(token: string | undefined): Promise<WebSocketClient> {
    const ws = this.description.websocket;
    if (!ws) throw new NotOffered('a WebSocket', `the target file describes none for ${this.label} (websocket)`);
    // Restarted now if the scenario wants other settings: never later, which would close this socket.
    await this.gate.apply();
    return openWebSocket(this.url, ws, token, protocolOf(ws, () => this.gate.settings));
  }

  /** The same service at another address (another instance of it): its request and its health check. */
  instanceAt(url: string): Pick<SpawnedInstance, 'sendRequest' | 'health'> {
    const http = new TargetHttp(`${this.targetName} ${this.service} at ${url}`, url, () => ({ ...this.runtime.values(), ...settingValues(this.gate.settings) }));
    const health = this.description.health;
    return {
      sendRequest: () => http.send(this.description.request),
      health: async () => {
        if (!health) throw new NotOffered('a health check', `${this.label} has none (the target file describes no health)`);
        return readHealth(http, health);
      },
    };
  }

  poolState(): Promise<PoolReading> {
    return this.readers.poolState();
  }

  ownReports(): Promise<PoolReading[]> {
    return this.readers.ownReports();
  }

  async health(): Promise<HealthReading> {
    const health = this.description.health;
    if (!health) throw new NotOffered('a health check', `${this.label} has none (the target file describes no health)`);
    return readHealth(this.http, health);
  }

  async releaseScenario(): Promise<void> {
    const held = this.lock;
    this.lock = undefined;
    if (!held) return;
    clearTimeout(held.timer);
    await (await held.lock.catch(() => undefined))?.release();
  }

  /** Abilities that come from how the service is described, not from a request of its own. */
  private addServiceAbilities(): void {
    const poolChange = this.description.settings.how === 'admin-api' ? this.description.settings.change.pool : undefined;
    if (poolChange) {
      this.abilities.poolAdmin = ({ headers, body }) => {
        const own = Object.fromEntries(Object.entries(poolChange.headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
        const request = { method: poolChange.method, path: poolChange.path, headers: own };
        return sendRaw(this.url, { ...this.http.raw(request, {}, 'settings.change.pool'), headers: { ...this.http.raw(request, {}, 'settings.change.pool').headers, ...headers }, ...(body === undefined ? {} : { body }) }, REQUEST.rawHttp);
      };
    }
    if (this.runtime.spawn) this.abilities.spawnInstance = this.runtime.spawn;
    const ws = this.description.websocket;
    if (ws?.houseProtocol) this.abilities.houseWebSocket = (token) => openHouseWebSocket(this.url, ws, token);
  }

  private secretValue(): string | undefined {
    const secret = this.description.tokens?.secret;
    return secret === undefined ? undefined : fillTemplate(secret, this.runtime.values(), `${this.label} tokens.secret`);
  }

  private async restartWith(settings: ScenarioSettings): Promise<void> {
    await this.releaseScenario();
    await this.runtime.restart(settings);
  }

  /**
   * Takes the hold's lock (or keeps the one held), released `hold` from now, or once every request it
   * holds has been answered: overlapping holds end together, at the latest.
   */
  private async takeLock(lockStatement: string, hold: Duration): Promise<NonNullable<DescribedTarget['lock']>> {
    if (!this.runtime.lockUrl) throw new NotOffered('a lock from the database side', 'there is no database URL to take it from (database.adminUrl)');
    const releaseAt = Date.now() + hold.ms;
    if (!this.lock) this.lock = { lock: DatabaseLock.take(this.runtime.lockUrl, lockStatement), releaseAt: 0, timer: undefined, unanswered: 0 };
    const held = this.lock;
    await held.lock;
    if (releaseAt <= held.releaseAt) return held;
    held.releaseAt = releaseAt;
    clearTimeout(held.timer);
    if (!hold.isBounded) return held;
    held.timer = setTimeout(() => {
      if (this.lock === held) void this.releaseScenario();
    }, hold.ms);
    return held;
  }

  private async until(done: () => Promise<boolean>, withinMs: number, why: () => Promise<string>): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!(await done())) {
      if (Date.now() >= deadline) throw new Error(await why());
      await new Promise((resolve) => setTimeout(resolve, WAIT.poll));
    }
  }

  private async send(request: RequestDescription, success: SuccessDescription, call: TemplateValues = {}): Promise<Outcome> {
    const outcome = await this.http.send(request, call);
    const failure = outcome.status === 0 ? undefined : judge(success, outcome.status, bodyText(outcome.body));
    return failure && outcome.status >= 200 && outcome.status < 300 ? { ...outcome, failed: true, error: failure } : outcome;
  }
}
