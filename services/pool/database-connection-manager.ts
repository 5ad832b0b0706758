import { AsyncConnectionPool } from './async-connection-pool';
import type { PooledConnection } from './pooled-connection';
import { ConnectionPoolMetrics, utilizationOf, type MetricsSnapshot, type PoolCounts } from './connection-pool-metrics';
import { applyLimitsChange, limitsOf, type DatabaseConfig, type PoolLimits } from './database-config';
import { asUnavailable } from './errors';
import { DatabaseProbe, HEALTH_LEVEL, HealthTracker, assessHealth, loadLevel, type HealthReport, type HealthStatus, type HealthThresholds, type LoadLevel } from './health';
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

/** What GET /health shows: a cheap subset of the snapshot, since it is polled; with the thresholds its checks are judged by. */
export type HealthView = Pick<PoolSnapshot, 'at' | 'health' | 'utilization'> & { connections: PoolCounts; config: PoolLimits; thresholds: HealthThresholds };

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
  /** A re-assessment is due (an event that can change health happened since the last one). */
  private assessDue = false;
  private assessImmediatePending = false;
  /** What the last assessment saw: the pool's load level, and whether load alone explained the status. */
  private assessedLoad: LoadLevel = 0;
  private assessedOnLoadAlone = true;
  private readonly thresholds: HealthThresholds;

  constructor(
    private readonly service: string,
    private readonly config: DatabaseConfig,
  ) {
    this.thresholds = { warnUtilization: config.healthWarnUtilization, timeoutWindowSeconds: config.healthTimeoutWindowSeconds };
    this.metrics = new ConnectionPoolMetrics(
      service,
      () => {
        const active = this.pool.activeCount;
        const capacity = this.pool.capacity;
        return {
          active,
          idle: this.pool.idleCount,
          total: this.pool.totalCount,
          waiting: this.pool.waitingCount,
          poolSize: this.pool.poolSize,
          capacity,
          utilization: utilizationOf(active, capacity),
        };
      },
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
        counters: this.metrics.counters,
        recordWait: (ms) => this.metrics.recordWait(ms),
        pressure: () => this.pressure(),
        changed: () => this.poolChanged(),
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
    let connection: PooledConnection;
    if (this.breaker.closed) {
      // Closed (nearly always): acquire directly and tell the breaker how it went.
      try {
        connection = await this.pool.acquireScoped();
      } catch (error) {
        await this.breaker.failed(error);
        throw error;
      }
      this.breaker.succeeded();
    } else {
      // The breaker refuses at once (503) while the pool keeps timing out, instead of queueing more.
      connection = await this.breaker.execute(this.acquireFromPool);
    }
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
    return {
      at: new Date().toISOString(),
      health: this.health.report(this.probe.lastResult),
      connections,
      utilization: connections.utilization,
      config: this.pool.currentLimits,
      thresholds: { ...this.thresholds },
    };
  }

  /**
   * The pool's state now, cheaply (no percentiles, no history, no re-assessment unless an event
   * since the last one may have changed health): what a refusal reports, in the refusal's hot path.
   */
  liveState(): { active: number; idle: number; waiting: number; capacity: number; utilization: number; health: HealthStatus } {
    if (this.assessDue) this.assess();
    const { active, idle, waiting, capacity, utilization } = this.metrics.counts();
    return { active, idle, waiting, capacity, utilization, health: this.health.current };
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

  private readonly acquireFromPool = (): Promise<PooledConnection> => this.pool.acquireScoped();

  /**
   * A pool event (a checkout, a return, a waiter queued or gone): called several times per request,
   * so it decides on plain numbers whether health can have changed. When the last assessment's
   * status came from the pool's load alone (no pressure in the window, no leak, database reachable),
   * only a change of load level can change it; otherwise (as under pressure or leaks) every event may.
   */
  private poolChanged(): void {
    if (this.assessDue) return;
    if (this.assessedOnLoadAlone) {
      const load = loadLevel(this.pool.activeCount, this.pool.capacity, this.pool.waitingCount, this.thresholds.warnUtilization);
      if (load === this.assessedLoad) return;
    }
    this.scheduleAssess();
  }

  /** A timeout or a refusal: remembered for the health window; health changes if it saw no pressure before. */
  private pressure(): void {
    this.metrics.notePressure();
    if (this.assessedOnLoadAlone) this.scheduleAssess();
  }

  /**
   * Pool events come in bursts under load (several per request): re-assess health once per turn of
   * the event loop rather than on every event. Readers (snapshot, /health) assess synchronously.
   */
  private scheduleAssess(): void {
    this.assessDue = true;
    if (this.assessImmediatePending) return;
    this.assessImmediatePending = true;
    setImmediate(() => {
      this.assessImmediatePending = false;
      if (this.assessDue) this.assess();
    });
  }

  private assess(): void {
    this.assessDue = false;
    const counts = this.metrics.counts();
    const inputs = {
      counts,
      pressureEventsInWindow: this.metrics.pressureEventsWithin(this.thresholds.timeoutWindowSeconds * 1000),
      leaksHeld: this.leakSuspects(),
      probe: this.probe.lastResult,
    };
    this.health.update(assessHealth(inputs, this.thresholds));
    this.assessedLoad = loadLevel(counts.active, counts.capacity, counts.waiting, this.thresholds.warnUtilization);
    this.assessedOnLoadAlone = inputs.pressureEventsInWindow === 0 && inputs.leaksHeld === 0 && inputs.probe.reachable;
  }
}
