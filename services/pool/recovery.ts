import { Counter, type Registry } from 'prom-client';
import type { AsyncConnectionPool } from './async-connection-pool';
import type { Checkout } from './pooled-connection';
import type { PoolCircuitBreaker, BreakerReport, BreakerSettings } from './circuit-breaker';
import type { CounterName } from './connection-pool-metrics';
import { applyRuntimeChange } from '../common/settings';
import { PoolResetError } from './errors';
import { SideConnection } from './side-connection';
import type { HealthStatus } from './health';

/**
 * Recovery: strategies run one at a time in a declared priority order — cheapest and most
 * targeted first — re-assessing health after each and stopping as soon as it is good enough.
 * The health checker runs them when health has stayed critical with no connection coming back
 * for RECOVERY_AFTER seconds; an operator runs them now (POST /admin/pool/recover) or resets
 * the pool (POST /admin/pool/reset). Every attempt is recorded and counted.
 */

/** The priority order: the first strategy runs first. */
export const RECOVERY_STRATEGIES = ['cancel-long-statements', 'reclaim-leaked-connections', 'recycle-pool', 'open-circuit-breaker'] as const;
export type StrategyName = (typeof RECOVERY_STRATEGIES)[number];

export type AttemptOutcome = 'succeeded' | 'nothing-to-do' | 'failed';
export type RecoveryTrigger = 'automatic' | 'manual';

export interface StrategyResult {
  outcome: AttemptOutcome;
  detail: string;
}

export interface RecoveryStrategy {
  readonly name: StrategyName;
  run(): Promise<StrategyResult>;
}

export interface RecoveryAttempt {
  at: string;
  pass: number;
  trigger: RecoveryTrigger;
  strategy: StrategyName | 'emergency-reset';
  /** 1 = first in the priority order; 0 for the emergency reset, which is not part of it. */
  priority: number;
  outcome: AttemptOutcome;
  detail: string;
  durationMs: number;
  healthAfter: HealthStatus;
}

export interface RecoveryPass {
  pass: number;
  trigger: RecoveryTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  healthBefore: HealthStatus;
  healthAfter: HealthStatus;
  /** Whether the pass reached its goal: not critical (automatic) or healthy (manual). */
  healed: boolean;
  attempts: RecoveryAttempt[];
}

export interface ResetReport {
  at: string;
  rejectedWaiters: number;
  terminatedConnections: number;
  reclaimedCheckouts: number;
  closedIdleConnections: number;
  durationMs: number;
  healthAfter: HealthStatus;
}

export interface RecoverySettings {
  recoverAfterSeconds: number;
  longStatementSeconds: number;
  breakerFailures: number;
  breakerHalfOpenAfterSeconds: number;
}

export interface RecoveryReport {
  settings: RecoverySettings;
  /** The strategies in priority order. */
  strategies: StrategyName[];
  running: boolean;
  /** Most recent last; bounded. */
  attempts: RecoveryAttempt[];
  lastPass: RecoveryPass | undefined;
  lastReset: ResetReport | undefined;
  circuitBreaker: BreakerReport;
}

const ATTEMPTS_KEPT = 100;
/** After a strategy acted, how long to wait for its effect (released connections served) before judging. */
const SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 50;

/** Validates a run-time change (PUT /admin/pool/recovery) like the start-up settings; unknown fields are refused by name. */
export function applyRecoverySettingsChange(current: RecoverySettings, change: unknown): RecoverySettings {
  return applyRuntimeChange('recovery', current, change);
}

/** The recovery settings within a service's configuration. */
export function recoverySettingsOf(config: RecoverySettings): RecoverySettings {
  const { recoverAfterSeconds, longStatementSeconds, breakerFailures, breakerHalfOpenAfterSeconds } = config;
  return { recoverAfterSeconds, longStatementSeconds, breakerFailures, breakerHalfOpenAfterSeconds };
}

export function breakerSettingsOf(settings: RecoverySettings): BreakerSettings {
  return { failures: settings.breakerFailures, halfOpenAfterSeconds: settings.breakerHalfOpenAfterSeconds };
}

function serverProcessIdOf(checkout: Checkout): number | undefined {
  return (checkout.client as unknown as { processID?: number }).processID;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Signals this service's own server backends over one dedicated connection outside the pool (an
 * exhausted pool cannot lend one), as the service's role: a role may cancel and terminate its own
 * backends. Only pids this pool holds are signalled, so another replica's work is never touched.
 */
export class ServiceBackends {
  private readonly connection: SideConnection;

  constructor(
    connectionString: string,
    applicationName: string,
    /** The pool's application_name: only its backends are signalled, so a pid the server has since reused is never someone else's. */
    private readonly poolApplicationName: string,
  ) {
    this.connection = new SideConnection(connectionString, applicationName, 5_000);
  }

  /** Opens the connection now, so that its slot under the role's CONNECTION LIMIT is taken before it is needed. */
  open(): Promise<void> {
    return this.connection.open();
  }

  async cancelRunningLongerThan(pids: number[], seconds: number): Promise<Array<{ pid: number; runningSeconds: number }>> {
    if (pids.length === 0) return [];
    const { rows } = await this.connection.query<{ pid: number; cancelled: boolean; running_seconds: string }>(
      `SELECT pid, pg_cancel_backend(pid) AS cancelled, round(extract(epoch FROM now() - query_start)::numeric, 1) AS running_seconds
         FROM pg_stat_activity
        WHERE pid = ANY($1::int[]) AND state = 'active' AND query_start < now() - make_interval(secs => $2)`,
      [pids, seconds],
    );
    return rows.filter((row) => row.cancelled).map((row) => ({ pid: row.pid, runningSeconds: Number(row.running_seconds) }));
  }

  async terminate(pids: number[]): Promise<number> {
    if (pids.length === 0) return 0;
    const { rows } = await this.connection.query<{ terminated: boolean }>(
      'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND application_name = $2',
      [pids, this.poolApplicationName],
    );
    return rows.filter((row) => row.terminated).length;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** What the strategies act on. */
export interface RecoveryTarget {
  pool: AsyncConnectionPool;
  breaker: PoolCircuitBreaker;
  backends: ServiceBackends;
  /** The leak detector: its threshold, and taking back what is held past it. */
  leaks: { readonly settings: { thresholdSeconds: number }; reclaimPastThreshold(): Promise<{ reclaimed: number; terminated: number }> };
  settings(): RecoverySettings;
  count(name: CounterName): void;
}

function heldPids(checkouts: Checkout[]): number[] {
  return checkouts.map(serverProcessIdOf).filter((pid): pid is number => pid !== undefined);
}

/** The production strategies, in RECOVERY_STRATEGIES order. */
export function poolRecoveryStrategies(target: RecoveryTarget): RecoveryStrategy[] {
  const { pool, breaker, backends } = target;
  return [
    {
      name: 'cancel-long-statements',
      async run() {
        const limit = target.settings().longStatementSeconds;
        const cancelled = await backends.cancelRunningLongerThan(heldPids(pool.heldCheckouts()), limit);
        if (cancelled.length === 0) return { outcome: 'nothing-to-do', detail: `no statement has run longer than ${limit}s` };
        const longest = Math.max(...cancelled.map((c) => c.runningSeconds));
        return { outcome: 'succeeded', detail: `cancelled ${plural(cancelled.length, 'statement')} running longer than ${limit}s (longest ${longest}s)` };
      },
    },
    {
      name: 'reclaim-leaked-connections',
      async run() {
        const threshold = target.leaks.settings.thresholdSeconds;
        const { reclaimed, terminated } = await target.leaks.reclaimPastThreshold();
        if (reclaimed === 0) return { outcome: 'nothing-to-do', detail: `no connection held longer than the leak threshold of ${threshold}s` };
        return { outcome: 'succeeded', detail: `reclaimed ${plural(reclaimed, 'connection')} held longer than ${threshold}s, terminated ${plural(terminated, 'server backend')}` };
      },
    },
    {
      name: 'recycle-pool',
      async run() {
        const { closedIdle, retiredInUse } = pool.recycle();
        return { outcome: 'succeeded', detail: `fresh pool: closed ${plural(closedIdle, 'idle connection')}, ${plural(retiredInUse, 'checked-out connection')} to close when returned` };
      },
    },
    {
      name: 'open-circuit-breaker',
      async run() {
        const seconds = target.settings().breakerHalfOpenAfterSeconds;
        breaker.isolate(seconds * 1000, 'held open by recovery');
        return { outcome: 'succeeded', detail: `circuit breaker held open for ${seconds}s: new requests are refused at once with 503 while the database recovers` };
      },
    },
  ];
}

/** Runs the strategies (automatically when the pool is stuck, or on request) and keeps the record. */
export class PoolRecovery {
  private current: RecoverySettings;
  private readonly attempts: RecoveryAttempt[] = [];
  private lastPass: RecoveryPass | undefined;
  private lastReset: ResetReport | undefined;
  private running: Promise<RecoveryPass> | undefined;
  private passes = 0;
  /** Since when health has been critical with no connection acquired or released. */
  private stalledSince: number | undefined;
  private lastProgress = -1;
  private strategyRuns: Counter | undefined;

  constructor(
    private readonly target: RecoveryTarget,
    private readonly strategies: RecoveryStrategy[],
    settings: RecoverySettings,
    /** Re-assesses health now and answers the status. */
    private readonly health: () => HealthStatus,
  ) {
    const names = strategies.map((s) => s.name);
    const declared = RECOVERY_STRATEGIES.filter((name) => names.includes(name));
    // Guard: the strategies must come in the declared priority order, each at most once.
    if (names.join() !== declared.join()) throw new Error(`unexpected condition: strategies ${names.join(', ')} are not in the priority order ${RECOVERY_STRATEGIES.join(', ')}`);
    this.current = { ...settings };
  }

  get settings(): RecoverySettings {
    return { ...this.current };
  }

  registerMetrics(registry: Registry): void {
    this.strategyRuns = new Counter({
      name: 'dbpool_recovery_strategy_runs_total',
      help: 'Recovery strategy runs by strategy and outcome',
      labelNames: ['strategy', 'outcome'],
      registers: [registry],
    });
  }

  configure(change: unknown): RecoverySettings {
    const next = applyRecoverySettingsChange(this.current, change);
    const breakerChanged = next.breakerFailures !== this.current.breakerFailures || next.breakerHalfOpenAfterSeconds !== this.current.breakerHalfOpenAfterSeconds;
    this.current = next;
    if (breakerChanged) this.target.breaker.reset('settings changed', breakerSettingsOf(next));
    return this.settings;
  }

  /**
   * The health checker calls this on every check: a pool that stays critical while no connection
   * is acquired or released for RECOVERY_AFTER seconds will not clear by itself, so recovery runs.
   * A busy pool that keeps moving (a load peak) is left to drain on its own.
   */
  tick(status: HealthStatus, progress: number, now = Date.now()): void {
    if (status !== 'critical') {
      this.stalledSince = undefined;
      return;
    }
    if (this.stalledSince === undefined || progress !== this.lastProgress) {
      this.stalledSince = now;
      this.lastProgress = progress;
      return;
    }
    if (this.running || now - this.stalledSince < this.current.recoverAfterSeconds * 1000) return;
    void this.run('automatic');
  }

  /** Runs a pass now, or joins the one under way. */
  run(trigger: RecoveryTrigger): Promise<RecoveryPass> {
    this.running ??= this.runPass(trigger).finally(() => {
      this.running = undefined;
      this.stalledSince = undefined;
    });
    return this.running;
  }

  /**
   * The emergency reset: refuse every waiting request (503), terminate the server backends of
   * every checked-out connection, take those slots back, swap in a fresh pool, close the breaker.
   */
  async reset(): Promise<ResetReport> {
    const { pool, backends, breaker } = this.target;
    const started = performance.now();
    const rejectedWaiters = pool.rejectWaiters(() => new PoolResetError());
    // Free every slot first (synchronously, so no late release races with us), then end the backends.
    const reclaimed = pool.heldCheckouts().filter((checkout) => pool.reclaim(checkout.id));
    const reclaimedCheckouts = reclaimed.length;
    const terminatedConnections = await backends.terminate(heldPids(reclaimed)).catch(() => 0);
    const { closedIdle } = pool.recycle();
    breaker.reset('emergency reset');
    const healthAfter = this.health();
    const report: ResetReport = {
      at: new Date().toISOString(),
      rejectedWaiters,
      terminatedConnections,
      reclaimedCheckouts,
      closedIdleConnections: closedIdle,
      durationMs: performance.now() - started,
      healthAfter,
    };
    this.lastReset = report;
    this.record({
      at: report.at,
      pass: ++this.passes,
      trigger: 'manual',
      strategy: 'emergency-reset',
      priority: 0,
      outcome: 'succeeded',
      detail: `refused ${plural(rejectedWaiters, 'waiting request')}, terminated ${plural(terminatedConnections, 'server backend')}, took back ${plural(reclaimedCheckouts, 'checked-out connection')}, closed ${plural(closedIdle, 'idle connection')}, fresh pool, breaker closed`,
      durationMs: report.durationMs,
      healthAfter,
    });
    return report;
  }

  report(): RecoveryReport {
    return {
      settings: this.settings,
      strategies: this.strategies.map((s) => s.name),
      running: this.running !== undefined,
      attempts: this.attempts.map((a) => ({ ...a })),
      lastPass: this.lastPass,
      lastReset: this.lastReset,
      circuitBreaker: this.target.breaker.report(),
    };
  }

  private async runPass(trigger: RecoveryTrigger): Promise<RecoveryPass> {
    const pass = ++this.passes;
    const startedAt = new Date();
    const started = performance.now();
    const goalReached = trigger === 'automatic' ? (s: HealthStatus) => s !== 'critical' : (s: HealthStatus) => s === 'healthy';
    const healthBefore = this.health();
    const attempts: RecoveryAttempt[] = [];
    let healthAfter = healthBefore;
    for (const [index, strategy] of this.strategies.entries()) {
      const at = new Date().toISOString();
      const began = performance.now();
      let result: StrategyResult;
      try {
        result = await strategy.run();
      } catch (error) {
        result = { outcome: 'failed', detail: error instanceof Error ? error.message : String(error) };
      }
      if (result.outcome === 'succeeded') healthAfter = await this.settle(goalReached);
      else healthAfter = this.health();
      const attempt: RecoveryAttempt = { at, pass, trigger, strategy: strategy.name, priority: index + 1, ...result, durationMs: performance.now() - began, healthAfter };
      attempts.push(attempt);
      this.record(attempt);
      if (goalReached(healthAfter)) break;
    }
    const finished: RecoveryPass = {
      pass,
      trigger,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: performance.now() - started,
      healthBefore,
      healthAfter,
      healed: goalReached(healthAfter),
      attempts,
    };
    this.lastPass = finished;
    return finished;
  }

  /** Waits (bounded) for a strategy's effect: released connections reach their waiters asynchronously. */
  private async settle(goalReached: (status: HealthStatus) => boolean): Promise<HealthStatus> {
    const deadline = performance.now() + SETTLE_MS;
    let status = this.health();
    while (!goalReached(status) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      status = this.health();
    }
    return status;
  }

  private record(attempt: RecoveryAttempt): void {
    this.attempts.push(attempt);
    if (this.attempts.length > ATTEMPTS_KEPT) this.attempts.shift();
    this.target.count('recoveryAttempts');
    if (attempt.outcome === 'succeeded') this.target.count('recoverySuccesses');
    this.strategyRuns?.inc({ strategy: attempt.strategy, outcome: attempt.outcome });
  }
}
