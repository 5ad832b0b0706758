import type { HealthStatus, HealthTransition, LeakReport, RecoveryReport } from '../clients/contract';
import type { Outcome } from '../clients/outcome';
import type { RawRequest } from '../clients/raw-http';
import type { WebSocketClient } from '../clients/websocket-client';
import type { Duration } from '../duration';
import type { Operations, TrackedOperation } from '../load/operations';
import type { ServiceName } from '../../env/service-settings';
import type { RefusalRules } from './refusal-rules';
import type { Knobs, ScenarioSettings } from './settings';
import type { TokenMaker } from './token-maker';
import type { WebSocketRules } from './websocket-speaker';

export type { ServiceName };

/** Where a reading came from: the report says which, per check. */
export type Evidence = 'json' | 'prometheus' | 'pg_stat_activity' | 'the settings the suite set';

/** What a pool looks like at one moment; each figure only when the target's evidence gives it. */
export interface PoolReading {
  service: string;
  /** Epoch ms. */
  at: number;
  /** Connections checked out by callers (or, from pg_stat_activity, busy server connections). */
  active?: number;
  idle?: number;
  /** Requests waiting for a connection. */
  waiting?: number;
  /** Open server connections. */
  open?: number;
  /** pool_size + max_overflow: always given (from the service, or the settings the suite set). */
  capacity: number;
  /** What the pool keeps open once idle: pool_size, or its one size where overflow is not its own. Always given. */
  poolSize: number;
  maxOverflow?: number;
  poolTimeoutSeconds?: number;
  maxQueue?: number;
  /** active / capacity, as the service says it. */
  utilization?: number;
  acquired?: number;
  released?: number;
  timeouts?: number;
  rejected?: number;
  errors?: number;
  /** Server connections the pool opened and closed. */
  created?: number;
  destroyed?: number;
  leaksDetected?: number;
  leaksReclaimed?: number;
  /** Recovery passes' attempts and the ones that succeeded, as the service counts them. */
  recoveryAttempts?: number;
  recoverySuccesses?: number;
  /** Acquire waits as the service's histogram counts them since it started (Prometheus). */
  waitSeconds?: WaitHistogram;
  /** The service's own wait-time percentiles over its most recent waits, in ms. */
  waitPercentilesMs?: { p50: number; p95: number; p99: number; max: number; samples: number };
  /** The service's health word, when its pool reading carries one. */
  health?: HealthStatus;
  /** Per figure, the evidence it came from. */
  evidence: Partial<Record<Exclude<keyof PoolReading, 'service' | 'at' | 'evidence'>, Evidence>>;
}

/** The figures of a reading (no service, time or evidence). */
export type PoolFigures = Omit<PoolReading, 'service' | 'at' | 'evidence'>;

/** A Prometheus histogram as read: cumulative counts per upper bound (seconds; the last is +Inf), their sum and count. */
export interface WaitHistogram {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** What a health check answered, mapped to the plan's words. */
export interface HealthReading {
  /** undefined when the answer maps to none of healthy / warning / critical. */
  status: HealthStatus | undefined;
  answer: Outcome;
  /** The HTTP status the service's own health convention gives that word, where it declares one. */
  expectedHttpStatus: number | undefined;
}

/** How a target holds connections: what the report says, and what the suite can do with it. */
export type HoldKind = 'endpoint' | 'database-lock' | 'sql-function';

/** The pool's arrival and grant numbers of one connection, as a service that records them answers them. */
export interface Grant {
  arrival: number;
  grant: number;
  waitedMs: number;
}

/** Another process of a service the suite started, with some of its environment changed. */
export interface SpawnedInstance {
  readonly url: string;
  readonly pid: number | undefined;
  readonly isRunning: boolean;
  /** Its exit code once it has exited (null: ended by a signal); undefined while it runs. */
  readonly exitedWith: number | null | undefined;
  recentOutput(lines?: number): string;
  /** The service's request that needs a database connection, sent to this instance. */
  sendRequest(): Promise<Outcome>;
  health(): Promise<HealthReading>;
  stop(): Promise<void>;
}

/**
 * What only some services can do, each present only where the target description declares it. A
 * scenario whose actions need one its target lacks is skipped before it starts (@needs-<ability>);
 * a check that needs one is "not judged".
 */
export interface Abilities {
  /** A handler that keeps its connection in a transaction (`held`) or drops the handle (`dropped`); answers { checkoutId, serverProcessId }. */
  leakOnCommand?(mode: 'held' | 'dropped'): Promise<Outcome>;
  leakReport?(): Promise<LeakReport>;
  collectGarbage?(): Promise<Outcome>;
  recoveryReport?(): Promise<RecoveryReport>;
  emergencyReset?(): Promise<Outcome>;
  /** The health transitions the service keeps itself. */
  healthHistory?(): Promise<HealthTransition[]>;
  /** The arrival and grant numbers an answer of the service's request carries. */
  grantOrder?(outcome: Outcome): Grant | undefined;
  /** Sends any body, as written, to the service's pool-settings request (an administrator's careless change): its own headers but content-type, then `headers`. */
  poolAdmin?(raw: { headers: Record<string, string>; body?: string | Buffer }): Promise<Outcome>;
  /** Starts another process of the service with some of its environment changed (services the suite starts). */
  spawnInstance?(env: Record<string, string>): Promise<SpawnedInstance>;
  /** Its WebSocket speaks the suite's own frame protocol (bad frames, holds, floods: feature 09). */
  houseWebSocket?(token: string | undefined): Promise<WebSocketClient>;
}

export type AbilityName = keyof Abilities;

/**
 * One service under test, as the steps see it. Every service — ours included — is a described
 * target (targets/<name>.yaml): the features ask each the same things, and every action goes
 * through one settings gate, so a restart-shaped service is in the scenario's settings before it
 * is used. What it cannot do throws NotOffered.
 */
export interface ServiceTarget {
  /** The role it plays in the plan: backend or auth. */
  readonly service: ServiceName;
  /** "backend (ours)", "backend (postgraphile)": for messages. */
  readonly label: string;
  readonly url: string;
  /** How pg_stat_activity names its pool's connections (application_name). */
  readonly applicationName: string;
  /** The role its pool connects as, and the database it connects to. */
  readonly database: { role: string; name: string };
  readonly holdKind: HoldKind;
  /** Whether overflow is its own knob (SQLAlchemy's), or part of one pool size (node-postgres). */
  readonly overflow: 'its own' | 'part of the pool size';
  /** What its refusals must look like: the plan's standard, with what this service chose. */
  readonly refusals: RefusalRules;
  /** How bad tokens are made for it and how it refuses them (the auth service). */
  readonly tokens: TokenMaker;
  /** What its WebSocket messages and refusals must look like, where it has a WebSocket. */
  readonly webSocket: WebSocketRules | undefined;
  readonly abilities: Abilities;
  /** How it takes each setting a scenario may ask for: set by the suite, fixed, or lacking. */
  readonly knobs: Knobs;
  /** Whether the suite restarted it (for new settings) at any moment between two epoch-ms times. */
  restartedBetween(from: number, to: number): boolean;

  /** A scenario starts from the description's start-up settings; `afterRestart` runs whenever the gate restarts the service in it. */
  beginScenario(afterRestart?: () => Promise<void>): Promise<void>;
  /** Asks for settings (applied before its next use, by the gate); answers what it departs from (bounds it lacks), in words. */
  change(settings: Partial<ScenarioSettings>): string[];
  /** The gate, now: the service runs with the settings asked for when this resolves. */
  applySettings(): Promise<void>;
  /** The settings the scenario asked for, as far as the service takes them. */
  readonly settings: ScenarioSettings;

  /** The request that needs a database connection (one short query). */
  sendRequest(): Promise<Outcome>;
  /** A request that fails inside the database. */
  sendFailingRequest(): Promise<Outcome>;
  /** Starts `count` operations that each hold a connection for `hold`, tracked under `label`; returns once the pool shows them holding. */
  hold(operations: Operations, count: number, hold: Duration, label: string): Promise<void>;
  /** Starts one operation that holds a connection for `hold`, without waiting for it to hold. */
  startHold(operations: Operations, hold: Duration, label: string): Promise<TrackedOperation>;
  /** How many connections the suite's holds hold now (the pool's connections in use, or those waiting on a lock the suite holds). */
  heldNow(): Promise<number>;
  /** The request that holds its connection for `hold`, as the load generator sends it. */
  holdingRequest(hold: Duration): Promise<RawRequest & { success: (status: number, body: string) => boolean }>;
  /** Judges an answer as the target's success rule does (a GraphQL 200 with errors is not a success). */
  succeeded(outcome: Outcome): boolean;

  /** The test user's login (the plan's auth service): one request that needs its pool. */
  login(): Promise<Outcome>;
  /** The token a login answer carries, where the description says it is. */
  tokenOf(login: Outcome): string | undefined;
  /** Asks the auth service whether a token is good. */
  checkToken(token: string): Promise<Outcome>;
  /** A login, then a check of the token it gave. */
  signIn(): Promise<{ login: Outcome; tokenCheck: Outcome }>;
  /** A fresh token for the test user; throws with the answer when sign-in fails. */
  token(): Promise<string>;
  /** Opens its WebSocket with a token; rejects with WebSocketRefused when the upgrade is refused. */
  openWebSocket(token: string | undefined): Promise<WebSocketClient>;

  /** Its pool state, each figure from the best evidence the target gives. */
  poolState(): Promise<PoolReading>;
  /** What the service reports about its pool itself, one reading per channel (JSON, Prometheus); empty when only pg_stat_activity sees it. */
  ownReports(): Promise<PoolReading[]>;
  health(): Promise<HealthReading>;

  /** Ends what the target holds for the scenario (locks). */
  releaseScenario(): Promise<void>;
}
