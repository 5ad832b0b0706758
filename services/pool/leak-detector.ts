import type { AsyncConnectionPool } from './async-connection-pool';
import type { Checkout } from './pooled-connection';
import type { CounterName } from './connection-pool-metrics';
import { applyRuntimeChange } from '../common/settings';

/**
 * What the detector did about one leak:
 * - reported:  held past the leak threshold (reclaim off, or before it reclaims);
 * - reclaimed: held past the threshold, taken back: client destroyed, server backend terminated;
 * - collected: the caller's handle was garbage-collected without release; taken back;
 * - returned:  a reported leak was given back late by its caller (HikariCP's "unleaked").
 */
export type LeakAction = 'reported' | 'reclaimed' | 'collected' | 'returned';

export interface LeakEvent {
  at: string;
  checkoutId: number;
  action: LeakAction;
  /** How long the connection had been checked out when this happened. */
  ageMs: number;
  serverProcessId: number | undefined;
  /** Whether the server backend was still there and was terminated (reclaimed/collected only). */
  serverTerminated?: boolean;
  /** Where the connection was taken, when checkout tracing is on. */
  stack?: string;
}

export interface LeakSettings {
  thresholdSeconds: number;
  /** Take leaked connections back (true) or only report them (false). */
  reclaim: boolean;
  /** Record where each connection was taken (costs a stack capture per checkout). */
  traceCheckouts: boolean;
}

export interface HeldCheckout {
  checkoutId: number;
  ageMs: number;
  pastThreshold: boolean;
  serverProcessId: number | undefined;
  stack?: string;
}

export interface LeakReport {
  settings: LeakSettings;
  held: HeldCheckout[];
  /** Most recent last; bounded. */
  events: LeakEvent[];
}

export interface LeakObserver {
  count(name: CounterName): void;
  changed(): void;
}

const EVENTS_KEPT = 50;

function serverProcessIdOf(checkout: Checkout): number | undefined {
  return (checkout.client as unknown as { processID?: number }).processID;
}

/** Validates a run-time change of the leak settings (PUT /admin/pool/leaks); returns the whole new settings. */
export function applyLeakSettingsChange(current: LeakSettings, change: unknown): LeakSettings {
  return applyRuntimeChange('leaks', current, change);
}

/**
 * Leak detection over the pool's own checkout tracking. On an interval it reports checkouts held
 * past the threshold and, when reclaim is on, takes them back; the pool hands it checkouts whose
 * handle was garbage-collected unreleased (found after each collection and on each pass). Unlike HikariCP's detector
 * (which only logs) it reclaims, and says per leak which it did.
 */
export class LeakDetector {
  private current: LeakSettings;
  private timer: NodeJS.Timeout | undefined;
  private readonly events: LeakEvent[] = [];
  /** Checkouts reported and not yet taken back or returned: checkout id -> the checkout. */
  private readonly reported = new Map<number, Checkout>();

  constructor(
    private readonly pool: AsyncConnectionPool,
    settings: LeakSettings,
    private readonly observer: LeakObserver,
    /** Terminates a server backend by pid over a connection that is not from the pool. */
    private readonly terminateBackend: (serverProcessId: number) => Promise<boolean>,
  ) {
    this.current = { ...settings };
    this.pool.traceCheckouts = settings.traceCheckouts;
  }

  get settings(): LeakSettings {
    return { ...this.current };
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  configure(change: unknown): LeakSettings {
    this.current = applyLeakSettingsChange(this.current, change);
    this.pool.traceCheckouts = this.current.traceCheckouts;
    if (this.timer) this.schedule();
    this.observer.changed();
    return this.settings;
  }

  /** Checkouts held longer than the threshold right now (health reports them). Ages are on performance.now()'s clock. */
  suspects(now = performance.now()): number {
    const cutoff = now - this.current.thresholdSeconds * 1000;
    let suspects = 0;
    // Oldest first: stop at the first checkout younger than the threshold.
    for (const checkout of this.pool.heldCheckoutsView()) {
      if (checkout.acquiredAt >= cutoff) break;
      suspects++;
    }
    return suspects;
  }

  report(options: { stacks: boolean } = { stacks: true }): LeakReport {
    const now = performance.now();
    const thresholdMs = this.current.thresholdSeconds * 1000;
    const held = this.pool.heldCheckouts().map((checkout) => ({
      checkoutId: checkout.id,
      ageMs: now - checkout.acquiredAt,
      pastThreshold: now - checkout.acquiredAt > thresholdMs,
      serverProcessId: serverProcessIdOf(checkout),
      ...(options.stacks && checkout.stack ? { stack: checkout.stack } : {}),
    }));
    const events = options.stacks ? this.events.map((e) => ({ ...e })) : this.events.map(({ stack: _stack, ...rest }) => rest);
    return { settings: this.settings, held, events };
  }

  /** One pass: report what crossed the threshold, reclaim it when enabled, note late returns. */
  async check(now = performance.now()): Promise<void> {
    // Handles a collection cleared since the last look (normally found right after the collection).
    this.pool.findCollectedHandles();
    for (const [id, checkout] of this.reported) {
      if (this.pool.isHeld(id)) continue;
      this.reported.delete(id);
      this.record(checkout, 'returned', now);
    }
    const cutoff = now - this.current.thresholdSeconds * 1000;
    // Oldest first: the checkouts past the threshold are a prefix (a copy, since reclaiming changes the map).
    const leaked: Checkout[] = [];
    for (const checkout of this.pool.heldCheckoutsView()) {
      if (checkout.acquiredAt >= cutoff) break;
      leaked.push(checkout);
    }
    let newlyReported = false;
    for (const checkout of leaked) {
      if (!this.reported.has(checkout.id)) {
        this.reported.set(checkout.id, checkout);
        this.observer.count('leaksDetected');
        this.record(checkout, 'reported', now);
        newlyReported = true;
      }
      if (this.current.reclaim) await this.takeBack(checkout, 'reclaimed');
    }
    // A leak crossing the threshold changes health (warning) without any pool event: say so.
    if (newlyReported) this.observer.changed();
  }

  /**
   * Takes back every checkout held past the threshold now, whether or not this detector reclaims
   * by itself (a recovery strategy asks): the same bookkeeping as its own reclaims.
   */
  async reclaimPastThreshold(): Promise<{ reclaimed: number; terminated: number }> {
    const cutoff = performance.now() - this.current.thresholdSeconds * 1000;
    const leaked = this.pool.heldCheckouts().filter((checkout) => checkout.acquiredAt < cutoff);
    // Each takeBack takes its checkout from the caller before its first await: none can be released late.
    const results = await Promise.all(leaked.map((checkout) => this.takeBack(checkout, 'reclaimed')));
    const taken = results.filter((result) => result !== undefined);
    return { reclaimed: taken.length, terminated: taken.filter((serverTerminated) => serverTerminated).length };
  }

  /** Called by the pool when a collection cleared the handle: it is gone, so is any chance of release. */
  collected(checkout: Checkout): void {
    if (!this.reported.has(checkout.id)) this.observer.count('leaksDetected');
    void this.takeBack(checkout, 'collected');
  }

  /** Whether its server backend was terminated; undefined when the checkout was already back. */
  private async takeBack(checkout: Checkout, action: 'reclaimed' | 'collected'): Promise<boolean | undefined> {
    const serverProcessId = serverProcessIdOf(checkout);
    // Take it from the caller first (synchronously), so a late release by the caller cannot race with us.
    const close = this.pool.takeAway(checkout.id);
    if (!close) return undefined;
    this.reported.delete(checkout.id);
    this.observer.count('leaksReclaimed');
    // Terminate the server backend before closing the socket: closed first, the server would see a
    // client hang up (or, busy in a statement, not notice until it ends) instead of ending the session.
    const serverTerminated = serverProcessId === undefined ? false : await this.terminateBackend(serverProcessId).catch(() => false);
    await close(serverTerminated);
    this.record(checkout, action, performance.now(), serverTerminated);
    this.observer.changed();
    return serverTerminated;
  }

  /** `now` is on performance.now()'s clock, like the checkout's acquiredAt. */
  private record(checkout: Checkout, action: LeakAction, now: number, serverTerminated?: boolean): void {
    this.events.push({
      at: new Date().toISOString(),
      checkoutId: checkout.id,
      action,
      ageMs: now - checkout.acquiredAt,
      serverProcessId: serverProcessIdOf(checkout),
      ...(serverTerminated === undefined ? {} : { serverTerminated }),
      ...(checkout.stack ? { stack: checkout.stack } : {}),
    });
    if (this.events.length > EVENTS_KEPT) this.events.shift();
  }

  private schedule(): void {
    clearInterval(this.timer);
    // A quarter of the threshold, between 100 ms and 1 s: a leak is seen soon after it crosses.
    const everyMs = Math.min(1000, Math.max(100, (this.current.thresholdSeconds * 1000) / 4));
    let running = false;
    this.timer = setInterval(() => {
      // Guard: a slow termination must not stack passes on top of each other.
      if (running) return;
      running = true;
      void this.check().finally(() => {
        running = false;
      });
    }, everyMs);
    this.timer.unref();
  }
}
