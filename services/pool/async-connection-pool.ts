import pg from 'pg';
import type { PoolCounters } from './connection-pool-metrics';
import type { PoolLimits } from './database-config';
import { PoolClosedError, PoolQueueFullError, PoolTimeoutError, asUnavailable } from './errors';
import { afterEachGc } from './gc-watch';

/**
 * What the pool tells its owner; the manager wires it to metrics and health. It is called on every
 * checkout, so each member is cheap: counters are plain fields incremented in place.
 */
export interface PoolObserver {
  /** The cumulative counters (ConnectionPoolMetrics.counters), incremented in place. */
  readonly counters: PoolCounters;
  recordWait(waitedMs: number): void;
  /** A timeout or a queue-full refusal (already counted): health looks at these within a window. */
  pressure(): void;
  /** Counts or limits changed (a checkout, a return, a waiter queued or gone). */
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
  /** When it was handed over: performance.now() (monotonic ms), so ages are `performance.now() - acquiredAt`. */
  readonly acquiredAt: number;
  /** The caller's place in arrival order (acquire calls, counted from 1); ids count grants. */
  readonly arrival: number;
  /** How long the caller waited for this connection, in ms. */
  readonly waitedMs: number;
  /** Where it was taken, when checkout tracing is on. */
  readonly stack: string | undefined;
  /**
   * Pool-internal: the caller's handle, weakly, so that a garbage collection clears it when the
   * caller dropped it without release (the pool keeps the checkout strongly, not the handle).
   */
  handle: WeakRef<PooledConnection> | undefined;
  /**
   * Pool-internal: the handle of a scoped checkout (acquireScoped: released in a `finally` by its
   * caller), held strongly until the checkout outlives SCOPED_GRACE_MS, then watched weakly.
   */
  scopedHandle: PooledConnection | undefined;
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

/** A placeholder until the promise executor runs (synchronously, in acquire()). */
const notYet = (): void => undefined;

/**
 * How long a scoped checkout's handle is held strongly before it is watched like any other. A
 * scoped caller releases in a `finally`, so its handle can only be lost with the whole awaiting
 * chain (a callback that never settles and that nothing references): a rare leak, found after
 * this grace and the next collection, and anyway by the leak threshold. Most scoped checkouts
 * are back long before, and cost no weak reference at all.
 */
const SCOPED_GRACE_MS = 1000;

/**
 * AsyncConnectionPool: SQLAlchemy's QueuePool semantics on top of node-postgres' pg.Pool.
 *
 * pg.Pool owns the connections; this class owns admission: at most `poolSize + maxOverflow`
 * checkouts, a FIFO queue of at most `maxQueue` waiters that each give up after
 * `poolTimeoutSeconds`, overflow connections closed when returned while nobody waits, and a
 * connection that arrives after its waiter gave up is given straight back (node-postgres #3543).
 *
 * Its hot path (a checkout handed over to the next waiter, and given back) does only what the
 * plan needs: the checkout record (leaks, reclaim, recovery), a weak reference to the caller's
 * handle (a handle dropped unreleased is found after GC; for a scoped checkout only once it
 * outlives a grace), two clock reads (the wait and the age), two counter increments and one
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
  /**
   * The GC hook of leak detection: a handle that a collection cleared while its checkout is still
   * held was dropped without release. Each checkout keeps a WeakRef to its handle (a scoped one
   * after a grace), and after every collection (and on each leak-detector pass) the held checkouts
   * are looked at. A FinalizationRegistry did the same with a register and an unregister per
   * checkout, at about twice a WeakRef's cost; registering only older checkouts would miss a
   * handle dropped just before a forced collection.
   */
  private readonly stopGcWatch: () => void;
  /** The one timer that expires queued waiters, armed for the earliest deadline in the queue. */
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryAt = Number.POSITIVE_INFINITY;
  /** Deadlines ascend from head to tail, unless pool_timeout was lowered while some waited. */
  private deadlinesInOrder = true;
  /** Clients taken away from a caller who never gave them back (their server session is ended on purpose). */
  private readonly reclaimedClients = new WeakSet<pg.PoolClient>();
  traceCheckouts = false;

  constructor(
    private readonly settings: ConnectionSettings,
    limits: PoolLimits,
    private readonly observer: PoolObserver,
  ) {
    this.limits = Object.freeze({ ...limits });
    this.pgPool = this.createPgPool();
    this.stopGcWatch = afterEachGc(() => this.findCollectedHandles());
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

  /**
   * A connection for a caller that releases it in a `finally` whatever happens
   * (DatabaseConnectionManager.withConnection): the same checkout, watched for GC only once it
   * outlives SCOPED_GRACE_MS, which spares the common short checkout a weak reference.
   */
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
   * Takes a checkout the caller never gave back out of its hands now (a late release is ignored),
   * but leaves its connection open: the caller of this ends the server session first (a reclaimed
   * leak is terminated, so the server ends it rather than seeing its client hang up), then calls
   * the answer to close it and free the slot. Undefined when it was already back.
   */
  takeAway(checkoutId: number): ((serverTerminated: boolean) => Promise<void>) | undefined {
    const checkout = this.checkouts.get(checkoutId);
    if (!checkout) return undefined;
    this.checkouts.delete(checkoutId);
    const { client } = checkout;
    // The server's "terminating connection" on this client is our own doing, not a connection error.
    this.reclaimedClients.add(client);
    // Listened for from now: the goodbye may arrive while the caller is still terminating the backend.
    let ended = false;
    const onEnd = () => (ended = true);
    client.once('end', onEnd);
    return async (serverTerminated) => {
      // pg_terminate_backend only signals the backend: its goodbye reaches the client a moment later.
      // Released before it, node-postgres' pool would take the goodbye for an idle client's error
      // (an error counted and the client removed twice).
      if (serverTerminated && !ended) await connectionEnded(client, SESSION_END_WAIT_MS);
      client.removeListener('end', onEnd);
      this.returnClient(client, true);
      this.observer.changed();
    };
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
    for (const waiter of waiters) if (this.settle(waiter)) waiter.reject(error());
    if (waiters.length > 0) this.observer.changed();
    return waiters.length;
  }

  async close(): Promise<void> {
    // Guard: pg.Pool.end() may be called once only.
    if (this.closed) return;
    this.closed = true;
    this.stopGcWatch();
    clearTimeout(this.expiryTimer);
    for (const waiter of this.waiters.splice(0)) if (this.settle(waiter)) waiter.reject(new PoolClosedError());
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
      if (!this.reclaimedClients.has(client)) this.observer.counters.errors++;
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
      handle: undefined,
      scopedHandle: undefined,
    };
    const connection = new PooledConnection(this, checkout);
    if (waiter.scoped) checkout.scopedHandle = connection;
    else checkout.handle = new WeakRef(connection);
    this.checkouts.set(checkout.id, checkout);
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

  /**
   * Looks for checkouts whose handle a garbage collection cleared (dropped without release: a
   * leak) and hands each to the owner's leak detector, or closes its connection and frees the slot;
   * scoped checkouts past their grace are watched from now on. Runs after every collection and on
   * each leak-detector pass; returns how many leaks it found.
   */
  findCollectedHandles(): number {
    let dropped: Checkout[] | undefined;
    const graceOver = performance.now() - SCOPED_GRACE_MS;
    for (const checkout of this.checkouts.values()) {
      if (checkout.scopedHandle) {
        if (checkout.acquiredAt > graceOver) continue;
        checkout.handle = new WeakRef(checkout.scopedHandle);
        checkout.scopedHandle = undefined;
      } else if (checkout.handle && checkout.handle.deref() === undefined) {
        (dropped ??= []).push(checkout);
      }
    }
    if (!dropped) return 0;
    for (const checkout of dropped) {
      // Guard: taken back meanwhile (a reclaim earlier in this loop cannot, but the owner's may).
      if (!this.checkouts.has(checkout.id)) continue;
      if (this.observer.leakCollected) {
        this.observer.leakCollected(checkout);
        continue;
      }
      this.observer.counters.leaksDetected++;
      if (this.reclaim(checkout.id)) this.observer.counters.leaksReclaimed++;
    }
    return dropped.length;
  }
}

/** How long a reclaim waits for a terminated session's client to see its end, before closing it anyway. */
const SESSION_END_WAIT_MS = 1000;

/** Resolves once the client's connection has ended (or after `withinMs`, whichever is first). */
function connectionEnded(client: pg.PoolClient, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.removeListener('end', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    client.once('end', done);
  });
}
