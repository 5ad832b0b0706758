import { AsyncConnectionPool, type PooledConnection } from './async-connection-pool';
import { ConnectionPoolMetrics, type MetricsSnapshot } from './connection-pool-metrics';
import { applyLimitsChange, limitsOf, type DatabaseConfig, type PoolLimits } from './database-config';
import { asUnavailable } from './errors';
import { DatabaseProbe, HEALTH_LEVEL, HealthTracker, assessHealth, type HealthReport } from './health';

export interface PoolSnapshot extends MetricsSnapshot {
  service: string;
  at: string;
  config: PoolLimits & { statementTimeoutSeconds: number; leakThresholdSeconds: number };
  health: HealthReport;
}

/**
 * DatabaseConnectionManager: the one owner of a service's database access. It owns the pool, its
 * metrics, the health checker and the probe, and offers withConnection / transaction, which
 * always give the connection back — also when the callback throws.
 */
export class DatabaseConnectionManager {
  readonly pool: AsyncConnectionPool;
  readonly metrics: ConnectionPoolMetrics;
  private readonly health = new HealthTracker();
  private readonly probe: DatabaseProbe;
  private checkerTimer: NodeJS.Timeout | undefined;

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
        changed: () => this.assess(),
      },
    );
    this.probe = new DatabaseProbe(config.databaseUrl, `${service}:probe`, 1000);
  }

  /** Starts the health checker: probe the database and re-assess on an interval. */
  async start(): Promise<void> {
    await this.runHealthCheck();
    this.checkerTimer = setInterval(() => void this.runHealthCheck(), this.config.healthCheckIntervalSeconds * 1000);
    this.checkerTimer.unref();
  }

  async withConnection<T>(work: (connection: PooledConnection) => Promise<T>): Promise<T> {
    const connection = await this.pool.acquire();
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
        leakThresholdSeconds: this.config.leakThresholdSeconds,
      },
      health: this.health.report(this.probe.lastResult),
    };
  }

  healthReport(): HealthReport {
    this.assess();
    return this.health.report(this.probe.lastResult);
  }

  /** Checkouts held longer than the leak threshold. */
  leakSuspects(): number {
    const cutoff = Date.now() - this.config.leakThresholdSeconds * 1000;
    return this.pool.heldCheckouts().filter((checkout) => checkout.acquiredAt < cutoff).length;
  }

  async close(): Promise<void> {
    clearInterval(this.checkerTimer);
    await Promise.all([this.pool.close(), this.probe.close()]);
  }

  private async runHealthCheck(): Promise<void> {
    await this.probe.probe();
    this.assess();
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
