import pg from 'pg';
import type { CounterName } from './connection-pool-metrics';
import type { PoolLimits } from './database-config';
import { PoolClosedError, PoolQueueFullError, PoolTimeoutError, asUnavailable } from './errors';

/** What the pool tells its owner; the manager wires it to metrics and health. */
export interface PoolObserver {
  count(name: CounterName, by?: number): void;
  recordWait(waitedMs: number): void;
  changed(): void;
  /** A handle was garbage-collected unreleased; when set, the owner (its leak detector) counts and reclaims it. */
  leakCollected?(checkout: Checkout): void;
}

export interface ConnectionSettings {
  connectionString: string;
  applicationName: string;
  statementTimeoutMs: number;
}

/** One checkout as the pool tracks it (the caller's handle is a PooledConnection). */
export interface Checkout {
  readonly id: number;
  readonly client: pg.PoolClient;
  readonly acquiredAt: number;
  /** The caller's place in arrival order (acquire calls, counted from 1); ids count grants. */
  readonly arrival: number;
  /** How long the caller waited for this connection, in ms. */
  readonly waitedMs: number;
  /** Where it was taken, when checkout tracing is on. */
  readonly stack: string | undefined;
}

interface Waiter {
  readonly arrival: number;
  /** Where acquire() was called, when checkout tracing is on (grant() runs later, off the caller's stack). */
  readonly stack: string | undefined;
  readonly enqueuedAt: number;
  readonly resolve: (connection: PooledConnection) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * The caller's handle on a checked-out connection. Releasing twice throws; querying after
 * release throws. A handle dropped without release is found after garbage collection.
 */
export class PooledConnection {
  private released = false;

  constructor(
    private readonly pool: AsyncConnectionPool,
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

/**
 * AsyncConnectionPool: SQLAlchemy's QueuePool semantics on top of node-postgres' pg.Pool.
 *
 * pg.Pool owns the connections; this class owns admission: at most `poolSize + maxOverflow`
 * checkouts, a FIFO queue of at most `maxQueue` waiters that each give up after
 * `poolTimeoutSeconds`, overflow connections closed when returned while nobody waits, and a
 * connection that arrives after its waiter gave up is given straight back (node-postgres #3543).
 */
export class AsyncConnectionPool {
  private pgPool: pg.Pool;
  private limits: PoolLimits;
  private readonly checkouts = new Map<number, Checkout>();
  private readonly waiters: Waiter[] = [];
  /** Slots reserved for callers whose connection is being opened. */
  private connecting = 0;
  private nextCheckoutId = 1;
  private nextArrival = 1;
  private closed = false;
  /** Clients that reported a connection-level error: destroyed when returned, never reused. */
  private readonly brokenClients = new WeakSet<pg.PoolClient>();
  private readonly clientsWithHandler = new WeakSet<pg.PoolClient>();
  /** pg.Pools replaced by recycle(), ending as their checked-out clients come back. */
  private readonly retiring = new Map<pg.Pool, Promise<void>>();
  /** Clients of a retired pool: closed when returned, never handed over or kept idle. */
  private readonly retiredClients = new WeakSet<pg.PoolClient>();
  private readonly collected = new FinalizationRegistry<number>((id) => this.reclaimCollected(id));
  traceCheckouts = false;

  constructor(
    private readonly settings: ConnectionSettings,
    limits: PoolLimits,
    private readonly observer: PoolObserver,
  ) {
    this.limits = { ...limits };
    this.pgPool = this.createPgPool();
  }

  get capacity(): number {
    return this.limits.poolSize + this.limits.maxOverflow;
  }

  get currentLimits(): PoolLimits {
    return { ...this.limits };
  }

  get activeCount(): number {
    return this.checkouts.size;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  get idleCount(): number {
    return this.pgPool.idleCount;
  }

  get totalCount(): number {
    let total = this.pgPool.totalCount;
    for (const old of this.retiring.keys()) total += old.totalCount;
    return total;
  }

  /** The checkouts currently held, oldest first. */
  heldCheckouts(): Checkout[] {
    return [...this.checkouts.values()];
  }

  acquire(): Promise<PooledConnection> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    const mustQueue = this.isFull() || this.waiters.length > 0;
    // Guard: the cheap fast-fail that keeps the service alive under a flood.
    if (mustQueue && this.waiters.length >= this.limits.maxQueue) {
      this.observer.count('rejected');
      this.observer.changed();
      return Promise.reject(new PoolQueueFullError(this.currentLimits));
    }
    return new Promise<PooledConnection>((resolve, reject) => {
      const stack = this.traceCheckouts ? new Error('checked out here').stack : undefined;
      const waiter: Waiter = { arrival: this.nextArrival++, stack, enqueuedAt: performance.now(), resolve, reject, timer: undefined, settled: false };
      const limits = this.currentLimits;
      waiter.timer = setTimeout(() => this.expire(waiter, limits), limits.poolTimeoutSeconds * 1000);
      if (mustQueue) {
        this.waiters.push(waiter);
        this.observer.changed();
      } else {
        this.openConnectionFor(waiter);
      }
    });
  }

  /** Called by PooledConnection.release: hand over to the next waiter, keep idle, or close. */
  giveBack(checkout: Checkout, destroy: boolean): void {
    // A released handle can no longer leak: drop its finalizer cell now rather than at GC.
    this.collected.unregister(checkout);
    // Guard: a reclaimed checkout (leak or GC) was already given back by the pool itself.
    if (!this.checkouts.delete(checkout.id)) return;
    this.observer.count('released');
    // A query that failed because its server connection died rejects without a client 'error' event.
    if (destroy && !this.brokenClients.has(checkout.client)) this.observer.count('errors');
    this.returnClient(checkout.client, destroy);
    this.observer.changed();
  }

  /** Closes the connection of a checkout the caller never gave back. Returns false if it was already back. */
  reclaim(checkoutId: number): boolean {
    const checkout = this.checkouts.get(checkoutId);
    if (!checkout) return false;
    this.checkouts.delete(checkoutId);
    this.returnClient(checkout.client, true);
    this.observer.changed();
    return true;
  }

  /** Applies new limits now: more capacity serves waiters at once, idle overflow is closed. */
  async reconfigure(limits: PoolLimits): Promise<void> {
    this.limits = { ...limits };
    this.serveWaiters();
    await this.closeIdleAbove(this.limits.poolSize);
    this.observer.changed();
  }

  /** Closes idle connections until at most `keep` remain open (never touches checked-out ones). */
  async closeIdleAbove(keep: number): Promise<void> {
    while (this.pgPool.idleCount > 0 && this.pgPool.totalCount > keep && this.waiters.length === 0) {
      const client = await this.pgPool.connect(); // an idle one: pg.Pool hands those out first
      client.release(true);
    }
  }

  /**
   * Swaps in a fresh pg.Pool (a recovery strategy): idle connections close now, checked-out ones
   * go back to the old pool when released and close there; the old pool ends once all are back.
   */
  recycle(): { closedIdle: number; retiredInUse: number } {
    if (this.closed) throw new PoolClosedError();
    const old = this.pgPool;
    const closedIdle = old.idleCount;
    for (const checkout of this.checkouts.values()) this.retiredClients.add(checkout.client);
    this.pgPool = this.createPgPool();
    this.retiring.set(
      old,
      old
        .end()
        .catch(() => undefined)
        .finally(() => {
          this.retiring.delete(old);
          this.observer.changed();
        }),
    );
    this.observer.changed();
    return { closedIdle, retiredInUse: this.checkouts.size };
  }

  /** Refuses every waiting request with `error()` (the emergency reset); returns how many. */
  rejectWaiters(error: () => Error): number {
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) this.settle(waiter, () => waiter.reject(error()));
    if (waiters.length > 0) this.observer.changed();
    return waiters.length;
  }

  async close(): Promise<void> {
    // Guard: pg.Pool.end() may be called once only.
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) this.settle(waiter, () => waiter.reject(new PoolClosedError()));
    for (const checkout of this.checkouts.values()) this.returnClient(checkout.client, true);
    this.checkouts.clear();
    await Promise.all([this.pgPool.end(), ...this.retiring.values()]);
  }

  private createPgPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.settings.connectionString,
      application_name: this.settings.applicationName,
      statement_timeout: this.settings.statementTimeoutMs,
      // Admission is ours (capacity, queue, timeout); pg.Pool's own cap and queue never engage.
      max: 100_000,
      // SQLAlchemy keeps pool_size connections open; overflow is closed on return instead.
      idleTimeoutMillis: 0,
      // Bounds one connection attempt; the caller's whole wait is bounded by pool_timeout.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    pool.on('connect', (client) => {
      this.observer.count('created');
      this.watchClientErrors(client);
    });
    pool.on('remove', () => {
      this.observer.count('destroyed');
      this.observer.changed();
    });
    // An idle client whose server went away: pg.Pool removes it; without this listener the process dies.
    pool.on('error', () => this.observer.count('errors'));
    return pool;
  }

  /**
   * A checked-out client whose server backend dies emits 'error' on the client, not the pool;
   * with no listener node-postgres crashes the process (issues #3083, #2635, #1324).
   */
  private watchClientErrors(client: pg.PoolClient): void {
    if (this.clientsWithHandler.has(client)) return;
    this.clientsWithHandler.add(client);
    client.on('error', () => {
      this.brokenClients.add(client);
      this.observer.count('errors');
    });
  }

  private isFull(): boolean {
    return this.checkouts.size + this.connecting >= this.capacity;
  }

  private expire(waiter: Waiter, limits: PoolLimits): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    // If it was already granted a slot, the connection that arrives later is given straight back.
    this.settle(waiter, () => {
      const waitedMs = performance.now() - waiter.enqueuedAt;
      this.observer.count('timeouts');
      this.observer.recordWait(waitedMs);
      waiter.reject(new PoolTimeoutError(limits, waitedMs));
    });
    this.observer.changed();
  }

  private settle(waiter: Waiter, outcome: () => void): boolean {
    if (waiter.settled) return false;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    outcome();
    return true;
  }

  private openConnectionFor(waiter: Waiter): void {
    this.connecting++;
    const pool = this.pgPool;
    pool.connect().then(
      (client) => {
        this.connecting--;
        this.watchClientErrors(client);
        // Opened by a pool recycled meanwhile: usable now, closed when returned.
        if (pool !== this.pgPool) this.retiredClients.add(client);
        if (waiter.settled) {
          this.observer.count('lateConnectionsReturned');
          this.returnClient(client, false);
        } else {
          this.grant(waiter, client);
        }
        this.observer.changed();
      },
      (error: unknown) => {
        this.connecting--;
        this.observer.count('errors');
        this.settle(waiter, () => waiter.reject(asUnavailable(error) ?? (error as Error)));
        this.serveWaiters();
        this.observer.changed();
      },
    );
  }

  private grant(waiter: Waiter, client: pg.PoolClient): void {
    const checkout: Checkout = {
      id: this.nextCheckoutId++,
      client,
      acquiredAt: Date.now(),
      arrival: waiter.arrival,
      waitedMs: performance.now() - waiter.enqueuedAt,
      stack: waiter.stack,
    };
    const connection = new PooledConnection(this, checkout);
    this.checkouts.set(checkout.id, checkout);
    this.collected.register(connection, checkout.id, checkout); // unregistered on release (bench: ~4% throughput)
    this.settle(waiter, () => {
      this.observer.count('acquired');
      this.observer.recordWait(performance.now() - waiter.enqueuedAt);
      waiter.resolve(connection);
    });
  }

  private returnClient(client: pg.PoolClient, destroy: boolean): void {
    if (destroy || this.brokenClients.has(client) || this.retiredClients.has(client) || this.closed) {
      client.release(true);
      this.serveWaiters();
      return;
    }
    const next = this.waiters.shift();
    if (next) {
      this.grant(next, client); // FIFO hand-over: the oldest waiter gets this very connection
      return;
    }
    // Nobody waits: overflow connections (above pool_size) are closed, the rest stay idle.
    client.release(this.pgPool.totalCount > this.limits.poolSize ? true : undefined);
  }

  /** Opens connections for the oldest waiters while there is capacity. */
  private serveWaiters(): void {
    while (!this.closed && !this.isFull() && this.waiters.length > 0) {
      const waiter = this.waiters.shift();
      if (!waiter) throw new Error('unexpected condition: empty waiter queue');
      this.openConnectionFor(waiter);
    }
  }

  /** A handle was garbage-collected without release: a leak. Close its connection, free the slot. */
  private reclaimCollected(checkoutId: number): void {
    const checkout = this.checkouts.get(checkoutId);
    if (!checkout) return;
    if (this.observer.leakCollected) return this.observer.leakCollected(checkout);
    this.observer.count('leaksDetected');
    if (this.reclaim(checkoutId)) this.observer.count('leaksReclaimed');
  }
}
