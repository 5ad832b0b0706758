/**
 * The suite's view of the services' public contract (README "Service contract"). The suite never
 * imports services/ to assert on them: it reads what any deployment answers.
 */
export type HealthStatus = 'healthy' | 'warning' | 'critical';

export interface PoolLimits {
  poolSize: number;
  maxOverflow: number;
  poolTimeoutSeconds: number;
  maxQueue: number;
}

/** Just the four limits, from a pool's config (which carries more). */
export function poolLimitsOf({ poolSize, maxOverflow, poolTimeoutSeconds, maxQueue }: PoolLimits): PoolLimits {
  return { poolSize, maxOverflow, poolTimeoutSeconds, maxQueue };
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
    transitions: Array<{ at: string; from: HealthStatus; to: HealthStatus; reasons: string[] }>;
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
