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

export interface PoolSnapshot {
  service: string;
  at: string;
  connections: { active: number; idle: number; total: number; waiting: number; poolSize: number; capacity: number; overflowInUse: number };
  utilization: number;
  counters: Record<string, number>;
  waitMs: { p50: number; p95: number; p99: number; max: number; samples: number };
  config: PoolLimits & { statementTimeoutSeconds: number; leakThresholdSeconds: number };
  health: {
    status: HealthStatus;
    reasons: string[];
    since: string;
    transitions: Array<{ at: string; from: HealthStatus; to: HealthStatus; reasons: string[] }>;
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
