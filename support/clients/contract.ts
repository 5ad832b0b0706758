/**
 * The suite's view of the services' public contract (docs/operators.md). The suite never imports
 * services/ at run time: it reads what any deployment answers. tools/contract-types.ts checks at
 * compile time that these copies still match the services' own types.
 */
export type HealthStatus = 'healthy' | 'warning' | 'critical';

export interface PoolLimits {
  poolSize: number;
  maxOverflow: number;
  poolTimeoutSeconds: number;
  maxQueue: number;
}

export interface HealthTransition {
  at: string;
  from: HealthStatus;
  to: HealthStatus;
  reasons: string[];
}

export interface PoolSnapshot {
  service: string;
  at: string;
  connections: { active: number; idle: number; total: number; waiting: number; poolSize: number; capacity: number; overflowInUse: number };
  utilization: number;
  counters: Record<string, number>;
  waitMs: { p50: number; p95: number; p99: number; max: number; samples: number };
  config: PoolLimits & { statementTimeoutSeconds: number; leakThresholdSeconds: number };
  /** What the deployment allows a suite to do (absent on a deployment that does not say: assume nothing). */
  capabilities?: { faultInjection: boolean };
  health: {
    status: HealthStatus;
    reasons: string[];
    since: string;
    transitions: HealthTransition[];
  };
}

/** GET /admin/pool/recovery (also `recovery` in GET /admin/pool). */
export interface RecoverySettings {
  recoverAfterSeconds: number;
  longStatementSeconds: number;
  breakerFailures: number;
  breakerHalfOpenAfterSeconds: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface RecoveryAttempt {
  at: string;
  pass: number;
  trigger: 'automatic' | 'manual';
  strategy: string;
  priority: number;
  outcome: 'succeeded' | 'nothing-to-do' | 'failed';
  detail: string;
  durationMs: number;
  healthAfter: HealthStatus;
}

export interface RecoveryReport {
  settings: RecoverySettings;
  strategies: string[];
  running: boolean;
  attempts: RecoveryAttempt[];
  lastPass?: { pass: number; trigger: 'automatic' | 'manual'; startedAt: string; finishedAt: string; durationMs: number; healed: boolean; attempts: RecoveryAttempt[] };
  lastReset?: { at: string; rejectedWaiters: number; terminatedConnections: number; reclaimedCheckouts: number; closedIdleConnections: number; durationMs: number };
  circuitBreaker: {
    state: BreakerState;
    settings: { failures: number; halfOpenAfterSeconds: number };
    retryInMs: number;
    rejected: number;
    opened: number;
    transitions: Array<{ at: string; from: BreakerState; to: BreakerState; why: string }>;
  };
}

export interface HealthDocument {
  status: 'pass' | 'warn' | 'fail';
  poolStatus: HealthStatus;
  notes: string[];
  checks: Record<string, Array<{ observedValue: unknown; status: string }>>;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  retryAfterSeconds?: number;
  pool?: { active: number; waiting: number; capacity: number; utilization: number; health: string };
}

/** GET/PUT /admin/pool/leaks: the leak detector's settings. */
export interface LeakSettings {
  thresholdSeconds: number;
  reclaim: boolean;
  traceCheckouts: boolean;
}

export interface LeakEvent {
  at: string;
  checkoutId: number;
  action: 'reported' | 'reclaimed' | 'collected' | 'returned';
  ageMs: number;
  serverProcessId: number | undefined;
  serverTerminated?: boolean;
  stack?: string;
}

/** GET /admin/pool/leaks. */
export interface LeakReport {
  settings: LeakSettings;
  held: Array<{ checkoutId: number; ageMs: number; pastThreshold: boolean; serverProcessId: number | undefined; stack?: string }>;
  events: LeakEvent[];
}

/** What POST /api/work/leak answers (fault injection): which checkout leaked, on which server backend. */
export interface LeakedConnection {
  checkoutId: number;
  serverProcessId: number;
  mode: 'held' | 'dropped';
}

/** POST /admin/pool/reset. */
export interface ResetAnswer {
  rejectedWaiters: number;
  reclaimedCheckouts: number;
  terminatedConnections: number;
}
