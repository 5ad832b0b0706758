import type { PoolLimits } from './database-config';

/**
 * Typed pool errors. Each one is pool pressure, never a bug: the HTTP layer maps them to 429/503
 * with Retry-After. Messages keep the facts SQLAlchemy's wording made searchable
 * ("QueuePool limit of size 5 overflow 3 reached, connection timed out, timeout 5.00").
 */
export abstract class PoolPressureError extends Error {
  /** Seconds a client should wait before retrying. */
  abstract readonly retryAfterSeconds: number;
}

function limitText(limits: PoolLimits): string {
  return `limit of size ${limits.poolSize} overflow ${limits.maxOverflow} reached`;
}

/** Waited `pool_timeout` seconds in the queue without getting a connection. */
export class PoolTimeoutError extends PoolPressureError {
  override readonly name = 'PoolTimeoutError';
  readonly retryAfterSeconds: number;
  constructor(readonly limits: PoolLimits, readonly waitedMs: number) {
    super(`Pool ${limitText(limits)}, connection timed out, timeout ${limits.poolTimeoutSeconds.toFixed(2)}`);
    this.retryAfterSeconds = Math.max(1, Math.ceil(limits.poolTimeoutSeconds));
  }
}

/** The waiting queue is at its bound: refused at once, without waiting. */
export class PoolQueueFullError extends PoolPressureError {
  override readonly name = 'PoolQueueFullError';
  readonly retryAfterSeconds = 1;
  constructor(readonly limits: PoolLimits) {
    super(`Pool ${limitText(limits)}, queue full: ${limits.maxQueue} requests already waiting, request refused`);
  }
}

/**
 * The database refused or dropped the connection: unreachable, shutting down, or its own limit
 * (SQLSTATE 53300 "too many clients already" / "too many connections for role").
 */
export class DatabaseUnavailableError extends PoolPressureError {
  override readonly name = 'DatabaseUnavailableError';
  readonly retryAfterSeconds = 2;
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`Database unavailable: ${reason}`, options);
  }
}

/** The circuit breaker is open (or half-open with its probe in flight): refused at once, without queueing. */
export class CircuitOpenError extends PoolPressureError {
  override readonly name = 'CircuitOpenError';
  readonly retryAfterSeconds: number;
  constructor(readonly state: 'open' | 'half-open' | 'isolated', retryInMs: number) {
    super(`Circuit breaker ${state}: the pool keeps timing out, request refused at once while the database recovers`);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryInMs / 1000));
  }
}

/** An operator's emergency reset (POST /admin/pool/reset) rejected this waiting request. */
export class PoolResetError extends PoolPressureError {
  override readonly name = 'PoolResetError';
  readonly retryAfterSeconds = 1;
  constructor() {
    super('Pool reset by an operator: waiting request refused, connections are being re-opened');
  }
}

export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
  constructor() {
    super('Pool is closed');
  }
}

/** SQLSTATEs and socket errors that mean "the database cannot take this connection now". */
const UNAVAILABLE_SQLSTATES = new Set([
  '53300', // too_many_connections (server-wide or per role)
  '57P01', // admin_shutdown (pg_terminate_backend, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '08000', '08003', '08006', '08001', '08004', // connection exceptions
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Turns a driver error that means the database is unavailable into DatabaseUnavailableError. */
export function asUnavailable(error: unknown): DatabaseUnavailableError | undefined {
  if (error instanceof DatabaseUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const message = error.message;
  const lostConnection =
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    );
  if ((typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_CODES.has(code))) || lostConnection) {
    return new DatabaseUnavailableError(message, { cause: error });
  }
  return undefined;
}
