import type pg from 'pg';
import type { Checkout, PooledConnection } from './pooled-connection';
import { afterEachGc } from './gc-watch';

/**
 * How long a scoped checkout's handle is held strongly before it is watched like any other. A
 * scoped caller releases in a `finally`, so its handle can only be lost with the whole awaiting
 * chain (a callback that never settles and that nothing references): a rare leak, found after
 * this grace and the next collection, and anyway by the leak threshold. Most scoped checkouts
 * are back long before, and cost no weak reference at all.
 */
const SCOPED_GRACE_MS = 1000;

/** How long a reclaim waits for a terminated session's client to see its end, before closing it anyway. */
const SESSION_END_WAIT_MS = 1000;

/**
 * Closes a checkout taken from its caller; `serverTerminated`: its server backend was just
 * terminated, so the close waits for the server's goodbye first.
 */
export type CloseReclaimed = (serverTerminated: boolean) => Promise<void>;

/**
 * The GC side of leak detection, for one pool: a handle its caller dropped without release is
 * found after a garbage collection, and a checkout taken back from its caller (a leak, a reset)
 * is closed only once its server has said goodbye.
 *
 * The pool's hook: it says when a checkout is `granted`, `returned` by its caller, or taken back
 * (`reclaim`); asks `isReclaimed` before counting a client's error; and calls `stop` on close.
 * This keeps a WeakRef to each caller's handle (a scoped one after a grace) and, after every
 * collection (and on each leak-detector pass, `findCollected`), hands each held checkout whose
 * handle was cleared to `collected`: the pool's owner (its leak detector) takes it back. A
 * FinalizationRegistry did the same with a register and an unregister per checkout, at about
 * twice a WeakRef's cost; registering only older checkouts would miss a handle dropped just
 * before a forced collection.
 */
export class DroppedCheckouts {
  /** Every held checkout -> its caller's handle: strongly for a scoped one within its grace, else weakly. */
  private readonly handles = new Map<Checkout, PooledConnection | WeakRef<PooledConnection>>();
  /** Clients taken from a caller who never gave them back: their server session is ended on purpose. */
  private readonly reclaimedClients = new WeakSet<pg.PoolClient>();
  private readonly stopGcWatch: () => void;

  constructor(private readonly collected: (checkout: Checkout) => void) {
    this.stopGcWatch = afterEachGc(() => this.findCollected());
  }

  /** A checkout was handed to its caller; `scoped`: the caller releases it in a `finally` (acquireScoped). */
  granted(checkout: Checkout, handle: PooledConnection, scoped: boolean): void {
    this.handles.set(checkout, scoped ? handle : new WeakRef(handle));
  }

  /** Its caller gave it back. */
  returned(checkout: Checkout): void {
    this.handles.delete(checkout);
  }

  /**
   * The pool took this checkout from its caller, and leaves its connection open: whoever reclaims
   * ends the server session first (a reclaimed leak is terminated, so the server ends it rather
   * than seeing its client hang up), then calls the answer, which runs `close` (the pool closes
   * the client and frees the slot) once that session's goodbye has reached the client.
   */
  reclaim(checkout: Checkout, close: () => void): CloseReclaimed {
    this.handles.delete(checkout);
    const { client } = checkout;
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
      close();
    };
  }

  /** Whether the client was reclaimed: its server's "terminating connection" is then our own doing, not a connection error. */
  isReclaimed(client: pg.PoolClient): boolean {
    return this.reclaimedClients.has(client);
  }

  /**
   * Looks for checkouts whose handle a garbage collection cleared (dropped without release: a
   * leak) and hands each to `collected`; scoped checkouts past their grace are watched from now
   * on. Runs after every collection and on each leak-detector pass; returns how many it found.
   */
  findCollected(): number {
    let dropped: Checkout[] | undefined;
    const graceOver = performance.now() - SCOPED_GRACE_MS;
    for (const [checkout, handle] of this.handles) {
      if (!(handle instanceof WeakRef)) {
        if (checkout.acquiredAt > graceOver) continue;
        this.handles.set(checkout, new WeakRef(handle));
      } else if (handle.deref() === undefined) {
        (dropped ??= []).push(checkout);
      }
    }
    if (!dropped) return 0;
    for (const checkout of dropped) {
      // Guard: given back or taken back meanwhile (by what `collected` set off for an earlier one).
      if (!this.handles.has(checkout)) continue;
      this.collected(checkout);
    }
    return dropped.length;
  }

  /** The pool closed: no more watching. */
  stop(): void {
    this.stopGcWatch();
    this.handles.clear();
  }
}

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
