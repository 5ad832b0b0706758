import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, IsolatedCircuitError, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { Counter, Gauge, type Registry } from 'prom-client';
import { CircuitOpenError, DatabaseUnavailableError, PoolTimeoutError } from './errors';

/**
 * The circuit breaker in front of the pool, on cockatiel (TypeScript-native, typed states,
 * a consecutive-failure breaker, half-open probing and manual isolation; opossum wraps one
 * function with its own timeout, which the pool's pool_timeout already is).
 *
 * Only acquiring a connection is guarded, and only waits that end in a pool timeout or an
 * unavailable database count as failures: a full queue is already a cheap refusal.
 *
 * While the breaker is closed, which is nearly always, an acquire does not go through cockatiel
 * (its execute() is two async frames, result objects and events per call: a measurable share of a
 * pooled query). The caller asks `closed`, acquires directly and reports the outcome: a success
 * resets cockatiel's own ConsecutiveBreaker (one field), a counting failure is handed to cockatiel
 * as a failed call, so cockatiel still counts, opens, times the half-open probe and isolates.
 * Whenever it is not closed, every acquire goes through cockatiel as before.
 */

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface BreakerSettings {
  /** Consecutive failed acquires that open the breaker. */
  failures: number;
  /** How long it stays open before one probe is let through. */
  halfOpenAfterSeconds: number;
}

export interface BreakerTransition {
  at: string;
  from: BreakerState;
  to: BreakerState;
  why: string;
}

export interface BreakerReport {
  state: BreakerState;
  settings: BreakerSettings;
  /** While open or isolated: ms until a probe may go through (open) or the isolation ends. */
  retryInMs: number;
  /** Requests refused at once because the breaker was not closed. */
  rejected: number;
  opened: number;
  /** Most recent last; bounded. */
  transitions: BreakerTransition[];
}

const TRANSITIONS_KEPT = 50;

const STATE_OF: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Read once: cockatiel's re-exported enum is reached through a getter on every access. */
const CLOSED = CircuitState.Closed;

export const BREAKER_LEVEL: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 2 };

export function countsAsFailure(error: unknown): boolean {
  return error instanceof PoolTimeoutError || error instanceof DatabaseUnavailableError;
}

export class PoolCircuitBreaker {
  private policy: CircuitBreakerPolicy;
  /** The policy's failure counter (cockatiel's own), which the closed fast path resets on success. */
  private consecutive: ConsecutiveBreaker;
  private current: BreakerSettings;
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private isolation: { dispose(): void; until: number; timer: NodeJS.Timeout } | undefined;
  private readonly transitions: BreakerTransition[] = [];
  private nextWhy: string | undefined;
  private rejectedCount = 0;
  private openedCount = 0;

  constructor(
    settings: BreakerSettings,
    private readonly observer: { changed(): void } = { changed: () => undefined },
  ) {
    this.current = { ...settings };
    this.consecutive = new ConsecutiveBreaker(this.current.failures);
    this.policy = this.createPolicy(this.consecutive);
  }

  get settings(): BreakerSettings {
    return { ...this.current };
  }

  get currentState(): BreakerState {
    return this.state;
  }

  /** Closed: acquire directly and report the outcome (succeeded / failed); otherwise use execute(). */
  get closed(): boolean {
    return this.policy.state === CLOSED;
  }

  /** An acquire made while closed succeeded: the consecutive failures start again from 0. */
  succeeded(): void {
    this.consecutive.success();
  }

  /**
   * An acquire made while closed failed. A pool timeout or an unavailable database is handed to
   * cockatiel as a failed call (it counts it and opens at the threshold); other errors are neutral,
   * as they are to cockatiel. Settles once the breaker has taken it into account.
   */
  async failed(error: unknown): Promise<void> {
    // Guard: once open (another failure got there first), a late failure is not a probe to run.
    if (!countsAsFailure(error) || this.policy.state !== CircuitState.Closed) return;
    await this.policy.execute(() => Promise.reject(error)).catch(() => undefined);
  }

  /** Runs `acquire` through the breaker; refuses at once with CircuitOpenError when it is not closed. */
  async execute<T>(acquire: () => Promise<T>): Promise<T> {
    const policy = this.policy;
    if (policy.state === CircuitState.Closed) {
      let acquired: T;
      try {
        acquired = await acquire();
      } catch (error) {
        await this.failed(error);
        throw error;
      }
      this.succeeded();
      return acquired;
    }
    // Half-open: one probe is in flight; cockatiel would park everyone else behind it, we refuse them.
    if (policy.state === CircuitState.HalfOpen) throw this.refuse('half-open', this.halfOpenAfterMs);
    try {
      return await policy.execute(() => acquire());
    } catch (error) {
      if (error instanceof IsolatedCircuitError) throw this.refuse('isolated', (this.isolation?.until ?? Date.now()) - Date.now());
      if (error instanceof BrokenCircuitError) throw this.refuse('open', this.retryInMs());
      throw error;
    }
  }

  /** Holds the breaker open for `forMs` (a recovery strategy: fail fast while the database recovers). */
  isolate(forMs: number, why: string): void {
    this.endIsolation();
    this.nextWhy = why;
    const handle = this.policy.isolate();
    const timer = setTimeout(() => this.endIsolation('isolation period over'), forMs);
    timer.unref();
    this.isolation = { dispose: () => handle.dispose(), until: Date.now() + forMs, timer };
  }

  /** Back to closed with a clean failure count, optionally with new settings (validated by the caller). */
  reset(why: string, settings: BreakerSettings = this.current): void {
    this.endIsolation();
    this.current = { ...settings };
    this.consecutive = new ConsecutiveBreaker(this.current.failures);
    this.policy = this.createPolicy(this.consecutive);
    if (this.state !== 'closed') this.transition('closed', why);
  }

  /**
   * The health probe reached the database again after failing to: an open breaker closes now
   * instead of waiting out its half-open delay, since the outage that opened it is over (the probe
   * ran the same query path the pool's connections use). An isolation, a recovery strategy's
   * deliberate hold, is left to run its course.
   */
  databaseReachableAgain(): void {
    if (this.state === 'open') this.reset('database reachable again (health probe)');
  }

  report(): BreakerReport {
    return {
      state: this.state,
      settings: this.settings,
      retryInMs: this.state === 'isolated' ? Math.max(0, (this.isolation?.until ?? 0) - Date.now()) : this.state === 'open' ? this.retryInMs() : 0,
      rejected: this.rejectedCount,
      opened: this.openedCount,
      transitions: this.transitions.map((t) => ({ ...t })),
    };
  }

  close(): void {
    this.endIsolation();
  }

  private get halfOpenAfterMs(): number {
    return this.current.halfOpenAfterSeconds * 1000;
  }

  private retryInMs(): number {
    return Math.max(0, this.openedAt + this.halfOpenAfterMs - Date.now());
  }

  private refuse(state: 'open' | 'half-open' | 'isolated', retryInMs: number): CircuitOpenError {
    this.rejectedCount++;
    return new CircuitOpenError(state, retryInMs);
  }

  private endIsolation(why?: string): void {
    const isolation = this.isolation;
    if (!isolation) return;
    this.isolation = undefined;
    clearTimeout(isolation.timer);
    this.nextWhy = why;
    isolation.dispose();
  }

  private createPolicy(breaker: ConsecutiveBreaker): CircuitBreakerPolicy {
    const policy = circuitBreaker(handleWhen(countsAsFailure), { halfOpenAfter: this.halfOpenAfterMs, breaker });
    policy.onStateChange((next) => {
      // A replaced policy (reset) may still settle a probe: only the current one speaks.
      if (policy !== this.policy) return;
      const to = STATE_OF[next];
      if (to === 'open') this.openedAt = Date.now();
      this.transition(to, this.nextWhy ?? this.describe(to));
      this.nextWhy = undefined;
    });
    return policy;
  }

  private describe(to: BreakerState): string {
    switch (to) {
      case 'open':
        return this.state === 'half-open' ? 'probe failed' : `${this.current.failures} consecutive acquire failures`;
      case 'half-open':
        return `open for ${this.current.halfOpenAfterSeconds}s: letting one probe through`;
      case 'closed':
        return this.state === 'half-open' ? 'probe succeeded' : 'closed';
      case 'isolated':
        return 'held open';
    }
  }

  private transition(to: BreakerState, why: string): void {
    if (to === this.state) return;
    if (to === 'open' || to === 'isolated') this.openedCount++;
    this.transitions.push({ at: new Date().toISOString(), from: this.state, to, why });
    if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
    this.state = to;
    this.observer.changed();
  }
}

/** The breaker in Prometheus: its state as a level, and what it refused. */
export function registerBreakerMetrics(registry: Registry, breaker: PoolCircuitBreaker): void {
  new Gauge({
    name: 'dbpool_circuit_breaker_state',
    help: 'Circuit breaker: 0 closed, 1 half-open, 2 open or isolated',
    registers: [registry],
    collect() {
      this.set(BREAKER_LEVEL[breaker.currentState]);
    },
  });
  new Counter({
    name: 'dbpool_circuit_breaker_rejected_total',
    help: 'Requests refused at once because the circuit breaker was open',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(breaker.report().rejected);
    },
  });
  new Counter({
    name: 'dbpool_circuit_breaker_opened_total',
    help: 'Times the circuit breaker opened (or was held open by recovery)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(breaker.report().opened);
    },
  });
}
