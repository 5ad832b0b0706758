import type { HealthStatus } from '../clients/contract';
import type { Outcome } from '../clients/outcome';
import type { RawRequest } from '../clients/raw-http';
import type { ServiceClient } from '../clients/service-client';
import type { WebSocketClient } from '../clients/websocket-client';
import type { Duration } from '../duration';
import type { Operations } from '../load/operations';
import type { PoolShape } from '../pool-shape';
import type { ServiceName } from '../system-under-test';

/** Where a reading came from: the report says which, per check. */
export type Evidence = 'snapshot' | 'prometheus' | 'pg_stat_activity' | 'the shape the suite set';

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
  /** pool_size + max_overflow. */
  capacity?: number;
  poolSize?: number;
  /** active / capacity, as the service says it. */
  utilization?: number;
  acquired?: number;
  released?: number;
  timeouts?: number;
  rejected?: number;
  errors?: number;
  leaksDetected?: number;
  /** Acquire waits as the service's histogram counts them since it started (Prometheus). */
  waitSeconds?: WaitHistogram;
  /** The service's own wait-time percentiles over its most recent waits, in ms (our snapshot). */
  waitPercentilesMs?: { p50: number; p95: number; p99: number; max: number; samples: number };
  /** The service's health word, when its pool reading carries one. */
  health?: HealthStatus;
  /** Per figure, the evidence it came from. */
  evidence: Partial<Record<Exclude<keyof PoolReading, 'service' | 'at' | 'evidence'>, Evidence>>;
}

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
  /** The HTTP status the service's own health convention gives that word (200 / 503), when it has one. */
  expectedHttpStatus: number | undefined;
}

/** How a target holds connections: what the report says, and what the suite can do with it. */
export type HoldKind = 'endpoint' | 'database-lock' | 'sql-function';

/**
 * One service under test, as the steps see it: whatever it is (our services through their test API,
 * our services without it, PostGraphile…), the features ask it the same things. What it cannot do
 * throws NotOffered.
 */
export interface ServiceTarget {
  /** The role it plays in the plan: backend or auth. */
  readonly service: ServiceName;
  /** "backend (ours, by its test API)", "backend (postgraphile)": for messages. */
  readonly label: string;
  readonly holdKind: HoldKind;
  /** Its base URL. */
  readonly url: string;
  /** How pg_stat_activity names its pool's connections (application_name). */
  readonly applicationName: string;
  /** Whether the suite restarted it (for a pool shape) at any moment between two epoch-ms times; ours never restart. */
  restartedBetween?(from: number, to: number): boolean;
  /** The database role its pool connects as, when a target description names it (ours: the suite's prefix + the service). */
  readonly databaseRole?: string;

  /**
   * A scenario starts: from the start-up shape on. (Our services go back to it at once through the
   * admin API; a service that must be restarted for it does so only when the scenario uses it with
   * another shape than it runs with — a restart costs seconds.)
   */
  beginScenario(startup: PoolShape): Promise<void>;
  /** Sets the pool shape (admin API, a restart, or checked against a fixed one); answers the shape it now runs with. */
  shapePool(change: Partial<PoolShape>): Promise<PoolShape>;
  /** The bounds a shape change asks for that the service does not have (it then runs without them), in words. */
  departuresFrom(change: Partial<PoolShape>): string[];
  /** The shape it runs with now, as the suite set or was told it. */
  readonly shape: PoolShape;
  /** Whether overflow is its own knob (SQLAlchemy's), or part of one pool size (node-postgres). */
  readonly hasOverflow: boolean;
  /** Whether it has a health check (a liveness probe samples it throughout each scenario). */
  readonly hasHealth: boolean;
  /** Whether it keeps its own history of health transitions (our services, in the snapshot). */
  readonly keepsHealthHistory: boolean;

  /** The request that needs a database connection (one short query). */
  sendRequest(): Promise<Outcome>;
  /** A request that fails inside the database. */
  sendFailingRequest(): Promise<Outcome>;
  /**
   * Starts `count` operations that each hold a connection for `hold`, tracked under `label`, and
   * returns once the pool shows them holding (as many as its capacity allows).
   */
  hold(operations: Operations, count: number, hold: Duration, label: string): Promise<void>;
  /** The request that holds its connection for `hold`, as the load generator sends it. */
  holdingRequest(hold: Duration): RawRequest & { success: (status: number, body: string) => boolean };
  /** How it writes refusals and failures: RFC 9457 problem+json, or anything with a status. */
  readonly refusalFormat: 'problem+json' | 'any';
  /** Judges an answer as the target's success rule does (a GraphQL 200 with errors is not a success). */
  succeeded(outcome: Outcome): boolean;

  /** The test user's login (the plan's auth service): one request that needs its pool. */
  login(): Promise<Outcome>;
  /** Asks the auth service whether a token is good (its token check, as a client's request carries it). */
  checkToken(token: string): Promise<Outcome>;
  /** Signs the test user in (the plan's auth service): a login, then a check of the token it gave. */
  signIn(): Promise<{ login: Outcome; tokenCheck: Outcome }>;
  /** A token for the test user that expired a minute ago, signed by the auth service itself. */
  expiredToken(): Promise<string>;
  /** A fresh token for the test user (the plan's auth service); throws with the answer when sign-in fails. */
  token(): Promise<string>;
  /** Whether it has a WebSocket the suite can speak to. */
  readonly hasWebSocket: boolean;
  /** Opens its WebSocket with a token (the backend's, in the suite's own frame protocol). */
  openWebSocket(token: string | undefined): Promise<WebSocketClient>;

  /** Its pool state, each figure from the best evidence the target gives. */
  poolState(): Promise<PoolReading>;
  /**
   * What the service reports about its pool itself, one reading per channel it has (our services:
   * the JSON snapshot and Prometheus); empty when it reports nothing (only pg_stat_activity sees it).
   */
  ownReports(): Promise<PoolReading[]>;
  health(): Promise<HealthReading>;

  /** The suite's own test API, where the target has it (our services). */
  testApi(): ServiceClient;

  /** Stops what the target started for this scenario (locks it holds). */
  releaseScenario(): Promise<void>;
}
