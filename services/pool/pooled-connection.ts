import type pg from 'pg';

/** How the pool's connections are opened. */
export interface ConnectionSettings {
  connectionString: string;
  applicationName: string;
  statementTimeoutMs: number;
}

/** The options of node-postgres' pg.Pool beneath AsyncConnectionPool: pg.Pool opens and keeps connections, admission is ours. */
export function pgPoolOptions(settings: ConnectionSettings): pg.PoolConfig {
  return {
    connectionString: settings.connectionString,
    application_name: settings.applicationName,
    statement_timeout: settings.statementTimeoutMs,
    // Admission is ours (capacity, queue, timeout); pg.Pool's own cap and queue never engage.
    max: 100_000,
    // SQLAlchemy keeps pool_size connections open; overflow is closed on return instead.
    idleTimeoutMillis: 0,
    // Bounds one connection attempt; the caller's whole wait is bounded by pool_timeout.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  };
}

/** One checkout as the pool tracks it (the caller's handle is a PooledConnection). */
export interface Checkout {
  readonly id: number;
  readonly client: pg.PoolClient;
  /** When it was handed over: performance.now() (monotonic ms), so ages are `performance.now() - acquiredAt`. */
  readonly acquiredAt: number;
  /** The caller's place in arrival order (acquire calls, counted from 1); ids count grants. */
  readonly arrival: number;
  /** How long the caller waited for this connection, in ms. */
  readonly waitedMs: number;
  /** Where it was taken, when checkout tracing is on. */
  readonly stack: string | undefined;
}

/**
 * The caller's handle on a checked-out connection. Releasing twice throws; querying after
 * release throws. A handle dropped without release is found after garbage collection.
 */
export class PooledConnection {
  private released = false;

  constructor(
    private readonly pool: { giveBack(checkout: Checkout, destroy: boolean): void },
    private readonly checkout: Checkout,
  ) {}

  get id(): number {
    return this.checkout.id;
  }

  /** Grant order (id) beside arrival order and wait: what proves the queue is FIFO. */
  get grant(): { arrival: number; grant: number; waitedMs: number } {
    return { arrival: this.checkout.arrival, grant: this.checkout.id, waitedMs: this.checkout.waitedMs };
  }

  /** The server backend's pid, for pg_terminate_backend / pg_cancel_backend. */
  get serverProcessId(): number | undefined {
    return (this.checkout.client as unknown as { processID?: number }).processID;
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.released) return Promise.reject(new Error(`connection ${this.id} used after release`));
    return this.checkout.client.query<R>(text, values);
  }

  /** Gives the connection back; `destroy` closes it instead (after a connection-level error). */
  release(destroy = false): void {
    if (this.released) throw new Error(`connection ${this.id} released twice`);
    this.released = true;
    this.pool.giveBack(this.checkout, destroy);
  }
}
