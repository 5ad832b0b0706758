import { Duration } from './duration';

/**
 * Every deadline, wait and request timeout of the suite, named in one place. Generous where a busy
 * 2-core machine needs it; each says what it bounds. (The plan's own limits — the 60 s recovery,
 * a pool timeout — stand in the feature text, not here.)
 */
export const WAIT = {
  /** How often a condition is polled. */
  poll: 50,
  /** Something the system should show almost at once (a count after a request started). */
  shortly: 10_000,
  /** Connections closing, counts settling, health re-assessing. */
  settle: 20_000,
} as const;

/** Cucumber step timeouts: the default, and for steps that wait on the plan's own durations. */
export const STEP = {
  default: 60_000,
  /** A load phase lasts as long as the plan says (2 minutes and more at real durations). */
  load: 10 * 60_000,
  /** Rounds of operations and waits on pool timeouts in a row. */
  long: 300_000,
  /** Starting PostgreSQL and the services once per run. */
  startSystem: 180_000,
  stopSystem: 60_000,
  /** The After hook: every request answered, the report attached, the leak audit. */
  finishScenario: 180_000,
} as const;

/** How long a client waits for an answer before it counts as "no answer". */
export const REQUEST = {
  /** Longer than any operation the plan prescribes, so a hung service shows as "no answer". */
  http: 120_000,
  /** A deliberately malformed request is refused at once; 30 s is a hang. */
  rawHttp: 30_000,
  webSocketAnswer: 60_000,
  webSocketConnect: 10_000,
  /** A liveness probe slower than this counts as not answered: a live service answers /health at once. */
  livenessProbe: 2_000,
  /** Load requests unanswered after this long are errors. */
  load: 60_000,
} as const;

/**
 * How far from the moment the pool should answer (its timeout ends a wait; a connection frees up for
 * a waiter) the answer may come, measured at the client: not earlier than timer granularity allows,
 * and later by at most what a busy 2-core machine adds (scheduling, the answer's trip). Test case 2
 * states its late bound in its own text; the checks of test cases 1 and 3 use this one, the same standard.
 */
export const AT_POOL_TIMEOUT = { earlyMs: 100, lateMs: 1500 } as const;
/** A refusal "at once" (the queue was full) comes within this (and within half the pool timeout). */
export const AT_ONCE_MS = 1000;
/** A WebSocket error frame for a bad frame comes at once: no database is involved. */
export const FRAME_ANSWER_WITHIN_MS = 5_000;
/** Longest a pong may take while the pool (not the event loop) is exhausted. */
export const PING_WITHIN_MS = 2_000;
/** A WebSocket pong for a freshly signed-in client during the backend's exhaustion. */
export const FRESH_PING_WITHIN_MS = 5_000;
/** The most a recovery from a connection kill may take (health re-assessed, connections re-opened). */
export const KILL_RECOVERY_LIMIT_MS = WAIT.settle;
/**
 * How long the services may take to serve again once PostgreSQL is back: the probe reconnects at
 * once, but a breaker opened by the outage lets its first probe through only after its half-open
 * delay (5 s by default). The step text states 30 s; this bounds the step itself.
 */
export const OUTAGE_RECOVERY_LIMIT_MS = 30_000;
/** Longer than any recovery limit a scenario sets: a statement that only recovery can end. */
export const HUNG_STATEMENT = Duration.ofSeconds(120);
