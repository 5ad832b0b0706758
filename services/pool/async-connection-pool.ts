import pg from 'pg';
import type { PoolCounters } from './connection-pool-metrics';
import type { PoolLimits } from './database-config';
import { PoolClosedError, PoolQueueFullError, PoolTimeoutError, asUnavailable } from './errors';
import { DroppedCheckouts, type CloseReclaimed } from './dropped-checkouts';
import { PooledConnection, pgPoolOptions, type Checkout, type ConnectionSettings } from './pooled-connection';

/** What the pool tells its owner (the manager wires it to metrics, health and the leak detector): called on every checkout, so cheap. */
export interface PoolObserver {
  /** The cumulative counters (ConnectionPoolMetrics.counters), incremented in place. */
  readonly counters: PoolCounters;
  recordWait(waitedMs: number): void;
  /** A timeout or a queue-full refusal (already counted): health looks at these within a window. */
  pressure(): void;
  /** Counts or limits changed (a checkout, a return, a waiter queued or gone). */
  changed(): void;
  /** A handle was garbage-collected unreleased (DroppedCheckouts): the owner's leak detector counts it and takes it back. */
  leakCollected(checkout: Checkout): void;
}

interface Waiter {
  readonly arrival: number;
  /** Where acquire() was called, when checkout tracing is on (grant() runs later, off the caller's stack). */
  readonly stack: string | undefined;
  /** performance.now() when acquire() was called. */
  readonly enqueuedAt: number;
  /** performance.now() by which it gives up (enqueuedAt + pool_timeout as it was then). */
  readonly deadline: number;
  /** The limits in force when it asked (what its timeout error reports). */
  readonly limits: PoolLimits;
  resolve: (connection: PooledConnection) => void;
  reject: (error: Error) => void;
  /** Only while a new server connection is being opened for it; queued waiters share the pool's expiry timer. */
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** Asked through acquireScoped(): the caller releases in a `finally`. */
  readonly scoped: boolean;
}

/** A placeholder until the promise executor runs (synchronously, in acquire()). */
const notYet = (): void => undefined;

/**
 * AsyncConnectionPool: SQLAlchemy's QueuePool semantics on top of node-postgres' pg.Pool.
 *
 * pg.Pool owns the connections; this class owns admission: at most `poolSize + maxOverflow`
 * checkouts, a FIFO queue of at most `maxQueue` waiters that each give up after
 * `poolTimeoutSeconds`, overflow connections closed when returned while nobody waits, and a
 * connection that arrives after its waiter gave up is given straight back (node-postgres #3543).
 *
 * Its hot path (a checkout handed over to the next waiter, and given back) does only what the
 * plan needs: the checkout record (leaks, reclaim, recovery), a note of it to DroppedCheckouts
 * (GC leak detection), two clock reads (the wait and the age), two counter increments and one
 * histogram bucket. Queued waiters share one expiry timer instead of a timer each.
 */
export class AsyncConnectionPool {
  private pgPool: pg.Pool;
  /** Replaced, never mutated, on reconfigure: waiters and errors keep the object in force when they asked. */
  private limits: Readonly<PoolLimits>;
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
  /** The GC side of leak detection: told of every checkout granted, returned or reclaimed (dropped-checkouts.ts). */
  private readonly dropped: DroppedCheckouts;
  /** The one timer that expires queued waiters, armed for the earliest deadline in the queue. */
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryAt = Number.POSITIVE_INFINITY;
  /** Deadlines ascend from head to tail, unless pool_timeout was lowered while some waited. */
  private deadlinesInOrder = true;
  traceCheckouts = false;

  constructor(
    private readonly settings: ConnectionSettings,
    limits: PoolLimits,
    private readonly observer: PoolObserver,
  ) {
    this.limits = Object.freeze({ ...limits });
    this.pgPool = this.createPgPool();
    this.dropped = new DroppedCheckouts((checkout) => observer.leakCollected(checkout));
  }

  get capacity(): number {
    return this.limits.poolSize + this.limits.maxOverflow;
  }

  get poolSize(): number {
    return this.limits.poolSize;
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

  /** The checkouts currently held, oldest first (a copy). */
  heldCheckouts(): Checkout[] {
    return [...this.checkouts.values()];
  }

  isHeld(checkoutId: number): boolean {
    return this.checkouts.has(checkoutId);
  }

  /** The checkouts currently held, oldest first, without a copy: do not reclaim while iterating. */
  heldCheckoutsView(): IterableIterator<Checkout> {
    return this.checkouts.values();
  }

  /** A connection for a caller that releases it itself; a handle dropped without release is found after GC. */
  acquire(): Promise<PooledConnection> {
    return this.admit(false);
  }

  /** For a caller that releases it in a `finally` (withConnection): watched for GC only past a grace (DroppedCheckouts). */
  acquireScoped(): Promise<PooledConnection> {
    return this.admit(true);
  }

  private admit(scoped: boolean): Promise<PooledConnection> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    const mustQueue = this.waiters.length > 0 || this.isFull();
    // Guard: the cheap fast-fail that keeps the service alive under a flood.
    if (mustQueue && this.waiters.length >= this.limits.maxQueue) {
      // No count changed (nothing queued): only the pressure, which health reads in a window.
      this.observer.counters.rejected++;
      this.observer.pressure();
      return Promise.reject(new PoolQueueFullError(this.limits));
    }
    const limits = this.limits;
    const enqueuedAt = performance.now();
    const waiter: Waiter = {
      arrival: this.nextArrival++,
      stack: this.traceCheckouts ? new Error('checked out here').stack : undefined,
      enqueuedAt,
      deadline: enqueuedAt + limits.poolTimeoutSeconds * 1000,
      limits,
      resolve: notYet,
      reject: notYet,
      timer: undefined,
      settled: false,
      scoped,
    };
    const granted = new Promise<PooledConnection>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    if (mustQueue) this.enqueue(waiter);
    else this.openConnectionFor(waiter);
    return granted;
  }

  /** Called by PooledConnection.release: hand over to the next waiter, keep idle, or close. */
  giveBack(checkout: Checkout, destroy: boolean): void {
    // Guard: a reclaimed checkout (leak or GC) was already given back by the pool itself.
    if (!this.checkouts.delete(checkout.id)) return;
    this.dropped.returned(checkout);
    this.observer.counters.released++;
    // A query that failed because its server connection died rejects without a client 'error' event.
    if (destroy && !this.brokenClients.has(checkout.client)) this.observer.counters.errors++;
    this.returnClient(checkout.client, destroy);
    this.observer.changed();
  }

  /** Closes the connection of a checkout the caller never gave back. Returns false if it was already back. */
  reclaim(checkoutId: number): boolean {
    const close = this.takeAway(checkoutId);
    void close?.(false);
    return close !== undefined;
  }

  /**
   * Takes a checkout out of its caller's hands now (a late release is ignored) and leaves it open: the answer
   * closes it and frees the slot, after the server's goodbye (DroppedCheckouts.reclaim). Undefined if it was back.
   */
  takeAway(checkoutId: number): CloseReclaimed | undefined {
    const checkout = this.checkouts.get(checkoutId);
    // Guard: given back (or taken) already.
    if (!checkout) return undefined;
    this.checkouts.delete(checkoutId);
    return this.dropped.reclaim(checkout, () => {
      this.returnClient(checkout.client, true);
      this.observer.changed();
    });
  }

  /** Applies new limits now: more capacity serves waiters at once, idle overflow is closed. */
  async reconfigure(limits: PoolLimits): Promise<void> {
    this.limits = Object.freeze({ ...limits });
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
    const ended = old.end().catch(() => undefined).finally(() => {
      this.retiring.delete(old);
      this.observer.changed();
    });
    this.retiring.set(old, ended);
    this.observer.changed();
    return { closedIdle, retiredInUse: this.checkouts.size };
  }

  /** Refuses every waiting request with `error()` (the emergency reset); returns how many. */
  rejectWaiters(error: () => Error): number {
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) if (this.settle(waiter)) waiter.reject(error());
    if (waiters.length > 0) this.observer.changed();
    return waiters.length;
  }

  async close(): Promise<void> {
    // Guard: pg.Pool.end() may be called once only.
    if (this.closed) return;
    this.closed = true;
    this.dropped.stop();
    clearTimeout(this.expiryTimer);
    for (const waiter of this.waiters.splice(0)) if (this.settle(waiter)) waiter.reject(new PoolClosedError());
    for (const checkout of this.checkouts.values()) this.returnClient(checkout.client, true);
    this.checkouts.clear();
    await Promise.all([this.pgPool.end(), ...this.retiring.values()]);
  }

  private createPgPool(): pg.Pool {
    // Admission is ours: pg.Pool's own cap and queue never engage, and it closes no idle connection (pgPoolOptions).
    const pool = new pg.Pool(pgPoolOptions(this.settings));
    pool.on('connect', (client) => {
      this.observer.counters.created++;
      this.watchClientErrors(client);
    });
    pool.on('remove', () => {
      this.observer.counters.destroyed++;
      this.observer.changed();
    });
    // An idle client whose server went away: pg.Pool removes it; without this listener the process dies.
    pool.on('error', () => this.observer.counters.errors++);
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
      // The "terminating connection" of a reclaimed checkout's server is our own doing, not a connection error.
      if (!this.dropped.isReclaimed(client)) this.observer.counters.errors++;
    });
  }

  private isFull(): boolean {
    return this.checkouts.size + this.connecting >= this.capacity;
  }

  private enqueue(waiter: Waiter): void {
    const last = this.waiters[this.waiters.length - 1];
    if (!last) this.deadlinesInOrder = true;
    else if (waiter.deadline < last.deadline) this.deadlinesInOrder = false;
    this.waiters.push(waiter);
    // Later arrivals give up later: the timer is already armed for an earlier deadline.
    if (waiter.deadline < this.expiryAt) this.armExpiry(waiter.deadline);
    this.observer.changed();
  }

  private armExpiry(at: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryAt = at;
    // Node's timers count whole ms of loop time: never earlier than the deadline, at least 1 ms.
    this.expiryTimer = setTimeout(() => this.expireWaiters(), Math.max(1, Math.ceil(at - performance.now())));
  }

  /** The expiry timer: every queued waiter past its deadline times out; the timer re-arms for the next. */
  private expireWaiters(): void {
    this.expiryTimer = undefined;
    this.expiryAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const before = this.waiters.length;
    if (this.deadlinesInOrder) {
      while (this.waiters.length > 0 && this.waiters[0]!.deadline <= now) this.timeOut(this.waiters.shift()!, now);
    } else {
      let kept = 0;
      for (const waiter of this.waiters) {
        if (waiter.deadline <= now) this.timeOut(waiter, now);
        else this.waiters[kept++] = waiter;
      }
      this.waiters.length = kept;
    }
    if (this.waiters.length > 0) this.armExpiry(this.earliestDeadline());
    if (this.waiters.length !== before) this.observer.changed();
  }

  private earliestDeadline(): number {
    if (this.deadlinesInOrder) return this.waiters[0]?.deadline ?? Number.POSITIVE_INFINITY;
    let earliest = Number.POSITIVE_INFINITY;
    for (const waiter of this.waiters) earliest = Math.min(earliest, waiter.deadline);
    return earliest;
  }

  /** Waited pool_timeout: a typed error with SQLAlchemy's facts. A connection still being opened for it is given back when it arrives. */
  private timeOut(waiter: Waiter, now: number): void {
    if (!this.settle(waiter)) return;
    const waitedMs = now - waiter.enqueuedAt;
    this.observer.counters.timeouts++;
    this.observer.recordWait(waitedMs);
    this.observer.pressure();
    waiter.reject(new PoolTimeoutError(waiter.limits, waitedMs));
  }

  /** Marks a waiter answered; false if it already was. */
  private settle(waiter: Waiter): boolean {
    if (waiter.settled) return false;
    waiter.settled = true;
    if (waiter.timer) clearTimeout(waiter.timer);
    return true;
  }

  private openConnectionFor(waiter: Waiter): void {
    this.connecting++;
    const pool = this.pgPool;
    // pg.Pool hands out an idle client at once; only opening a new server connection can outlast pool_timeout.
    if (pool.idleCount === 0) {
      waiter.timer = setTimeout(() => {
        this.timeOut(waiter, performance.now());
        this.observer.changed();
      }, Math.max(1, Math.ceil(waiter.deadline - performance.now())));
    }
    pool.connect().then(
      (client) => {
        this.connecting--;
        this.watchClientErrors(client);
        // Opened by a pool recycled meanwhile: usable now, closed when returned.
        if (pool !== this.pgPool) this.retiredClients.add(client);
        if (waiter.settled) {
          this.observer.counters.lateConnectionsReturned++;
          this.returnClient(client, false);
        } else {
          this.grant(waiter, client);
        }
        this.observer.changed();
      },
      (error: unknown) => {
        this.connecting--;
        this.observer.counters.errors++;
        if (this.settle(waiter)) waiter.reject(asUnavailable(error) ?? (error as Error));
        this.serveWaiters();
        this.observer.changed();
      },
    );
  }

  private grant(waiter: Waiter, client: pg.PoolClient): void {
    const now = performance.now();
    const waitedMs = now - waiter.enqueuedAt;
    const checkout: Checkout = {
      id: this.nextCheckoutId++,
      client,
      acquiredAt: now,
      arrival: waiter.arrival,
      waitedMs,
      stack: waiter.stack,
    };
    const connection = new PooledConnection(this, checkout);
    this.checkouts.set(checkout.id, checkout);
    this.dropped.granted(checkout, connection, waiter.scoped);
    this.settle(waiter);
    this.observer.counters.acquired++;
    this.observer.recordWait(waitedMs);
    waiter.resolve(connection);
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

  /** Hands checkouts whose handle a collection cleared since the last look to leakCollected; how many (a leak-detector pass). */
  findCollectedHandles(): number {
    return this.dropped.findCollected();
  }
}
