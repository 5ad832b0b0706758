import { AsyncConnectionPool, type PooledConnection } from './async-connection-pool';
import { ConnectionPoolMetrics, type MetricsSnapshot, type PoolCounts } from './connection-pool-metrics';
import { applyLimitsChange, limitsOf, type DatabaseConfig, type PoolLimits } from './database-config';
import { asUnavailable } from './errors';
import { DatabaseProbe, HEALTH_LEVEL, HealthTracker, assessHealth, type HealthReport, type HealthStatus } from './health';
import { LeakDetector, type LeakReport, type LeakSettings } from './leak-detector';
import { PoolCircuitBreaker, registerBreakerMetrics } from './circuit-breaker';
import { PoolRecovery, ServiceBackends, breakerSettingsOf, poolRecoveryStrategies, recoverySettingsOf, type RecoveryReport } from './recovery';

export interface PoolSnapshot extends MetricsSnapshot {
  service: string;
  at: string;
  config: PoolLimits & { statementTimeoutSeconds: number; leakThresholdSeconds: number };
  health: HealthReport;
  /** Leak detection: settings, what is held now, recent leak events (stacks at GET /admin/pool/leaks). */
  leaks: LeakReport;
  /** Recovery: settings, strategies in priority order, recorded attempts, the circuit breaker. */
  recovery: RecoveryReport;
}

/** What GET /health shows: a cheap subset of the snapshot, since it is polled. */
export type HealthView = Pick<PoolSnapshot, 'at' | 'health' | 'utilization'> & { connections: PoolCounts; config: PoolLimits };

/**
 * DatabaseConnectionManager: the one owner of a service's database access. It owns the pool, its
 * metrics, the health checker and the probe, and offers withConnection / transaction, which
 * always give the connection back — also when the callback throws.
 */
export class DatabaseConnectionManager {
  readonly pool: AsyncConnectionPool;
  readonly metrics: ConnectionPoolMetrics;
  readonly leaks: LeakDetector;
  readonly breaker: PoolCircuitBreaker;
  readonly recovery: PoolRecovery;
  private readonly backends: ServiceBackends;
  private readonly health = new HealthTracker();
  private readonly probe: DatabaseProbe;
  private checkerTimer: NodeJS.Timeout | undefined;
  private assessScheduled = false;

  constructor(
    private readonly service: string,
    private readonly config: DatabaseConfig,
  ) {
    this.metrics = new ConnectionPoolMetrics(
      service,
      () => ({
        active: this.pool.activeCount,
        idle: this.pool.idleCount,
        total: this.pool.totalCount,
        waiting: this.pool.waitingCount,
        poolSize: this.pool.currentLimits.poolSize,
        capacity: this.pool.capacity,
      }),
      () => HEALTH_LEVEL[this.health.current],
    );
    this.pool = new AsyncConnectionPool(
      {
        connectionString: config.databaseUrl,
        applicationName: service,
        statementTimeoutMs: Math.round(config.statementTimeoutSeconds * 1000),
      },
      limitsOf(config),
      {
        count: (name, by) => this.metrics.count(name, by),
        recordWait: (ms) => this.metrics.recordWait(ms),
        changed: () => this.scheduleAssess(),
        leakCollected: (checkout) => this.leaks.collected(checkout),
      },
    );
    // One connection outside the pool, opened at start, so that its slot under the role's limit is there when needed.
    this.backends = new ServiceBackends(config.databaseUrl, `${service}:recovery`, service);
    this.leaks = new LeakDetector(
      this.pool,
      { thresholdSeconds: config.leakThresholdSeconds, reclaim: config.leakReclaim, traceCheckouts: config.traceCheckouts },
      { count: (name) => this.metrics.count(name), changed: () => this.scheduleAssess() },
      async (serverProcessId) => (await this.backends.terminate([serverProcessId])) > 0,
    );
    this.probe = new DatabaseProbe(config.databaseUrl, `${service}:probe`, 1000);
    const recoverySettings = recoverySettingsOf(config);
    this.breaker = new PoolCircuitBreaker(breakerSettingsOf(recoverySettings));
    registerBreakerMetrics(this.metrics.registry, this.breaker);
    const target = {
      pool: this.pool,
      breaker: this.breaker,
      backends: this.backends,
      leaks: this.leaks,
      settings: () => this.recovery.settings,
      count: (name: 'leaksReclaimed' | 'recoveryAttempts' | 'recoverySuccesses') => this.metrics.count(name),
    };
    this.recovery = new PoolRecovery(target, poolRecoveryStrategies(target), recoverySettings, () => {
      this.assess();
      return this.health.current;
    });
    this.recovery.registerMetrics(this.metrics.registry);
  }

  /** Starts the health checker: probe the database and re-assess on an interval. */
  async start(): Promise<void> {
    await this.runHealthCheck();
    this.checkerTimer = setInterval(() => void this.runHealthCheck(), this.config.healthCheckIntervalSeconds * 1000);
    this.checkerTimer.unref();
    this.leaks.start();
    await this.backends.open();
  }

  async withConnection<T>(work: (connection: PooledConnection) => Promise<T>): Promise<T> {
    // The breaker refuses at once (503) while the pool keeps timing out, instead of queueing more.
    const connection = await this.breaker.execute(() => this.pool.acquire());
    let broken = false;
    try {
      return await work(connection);
    } catch (error) {
      // A connection-level failure means this connection cannot be trusted again.
      broken = asUnavailable(error) !== undefined;
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  transaction<T>(work: (connection: PooledConnection) => Promise<T>): Promise<T> {
    return this.withConnection(async (connection) => {
      await connection.query('BEGIN');
      try {
        const result = await work(connection);
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async reconfigure(change: unknown): Promise<PoolLimits> {
    const next = applyLimitsChange(this.pool.currentLimits, change);
    await this.pool.reconfigure(next);
    // New limits, fresh start: failures counted against the old ones no longer say anything.
    this.breaker.reset('pool reconfigured');
    return next;
  }

  snapshot(): PoolSnapshot {
    this.assess();
    return {
      service: this.service,
      at: new Date().toISOString(),
      ...this.metrics.snapshot(),
      config: {
        ...this.pool.currentLimits,
        statementTimeoutSeconds: this.config.statementTimeoutSeconds,
        leakThresholdSeconds: this.leaks.settings.thresholdSeconds,
      },
      health: this.health.report(this.probe.lastResult),
      leaks: this.leaks.report({ stacks: false }),
      recovery: this.recovery.report(),
    };
  }

  /** For GET /health: no wait percentiles, leak list or recovery record. */
  healthView(): HealthView {
    this.assess();
    const connections = this.metrics.counts();
    const { capacity, active } = connections;
    return {
      at: new Date().toISOString(),
      health: this.health.report(this.probe.lastResult),
      connections,
      utilization: capacity === 0 ? 0 : active / capacity,
      config: this.pool.currentLimits,
    };
  }

  /** The pool's state now, cheaply (no percentiles, no history): what a refusal reports. */
  liveState(): { active: number; idle: number; waiting: number; capacity: number; utilization: number; health: HealthStatus } {
    this.assess();
    const { active, idle, waiting, capacity } = this.metrics.counts();
    return { active, idle, waiting, capacity, utilization: capacity === 0 ? 0 : active / capacity, health: this.health.current };
  }

  healthReport(): HealthReport {
    this.assess();
    return this.health.report(this.probe.lastResult);
  }

  /** Checkouts held longer than the leak threshold. */
  leakSuspects(): number {
    return this.leaks.suspects();
  }

  /** Changes the leak settings at run time (validated); returns the new settings. */
  configureLeaks(change: unknown): LeakSettings {
    return this.leaks.configure(change);
  }

  async close(): Promise<void> {
    clearInterval(this.checkerTimer);
    this.leaks.stop();
    this.breaker.close();
    await Promise.all([this.pool.close(), this.probe.close(), this.backends.close()]);
  }

  private async runHealthCheck(): Promise<void> {
    const wasReachable = this.probe.lastResult.reachable;
    await this.probe.probe();
    if (!wasReachable && this.probe.lastResult.reachable) this.breaker.databaseReachableAgain();
    this.assess();
    // Recovery when health stays critical and no connection moves (services/pool/recovery.ts).
    this.recovery.tick(this.health.current, this.metrics.counter('acquired') + this.metrics.counter('released'));
  }

  /**
   * Pool events come in bursts under load (several per request): re-assess health once per turn of
   * the event loop rather than on every event. Readers (snapshot, /health) assess synchronously.
   */
  private scheduleAssess(): void {
    if (this.assessScheduled) return;
    this.assessScheduled = true;
    setImmediate(() => {
      this.assessScheduled = false;
      this.assess();
    });
  }

  private assess(): void {
    this.health.update(
      assessHealth(
        {
          counts: this.metrics.counts(),
          pressureEventsInWindow: this.metrics.pressureEventsWithin(this.config.healthTimeoutWindowSeconds * 1000),
          leaksHeld: this.leakSuspects(),
          probe: this.probe.lastResult,
        },
        { warnUtilization: this.config.healthWarnUtilization, timeoutWindowSeconds: this.config.healthTimeoutWindowSeconds },
      ),
    );
  }
}
