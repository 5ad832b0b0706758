import type { FastifyReply } from 'fastify';
import { CircuitOpenError, PoolPressureError, PoolQueueFullError, PoolResetError, PoolTimeoutError, asUnavailable } from '../pool';
import { ConfigError } from './settings';
import { redactCredentials } from './request-logging';

/**
 * RFC 9457 problem details: one format for every error the services answer, so a client can
 * handle backpressure (429/503 + Retry-After) the same way everywhere.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  retryAfterSeconds?: number;
  pool?: PoolState;
}

/** The pool's state at the moment of refusal, so a client (and QA) sees why. */
export interface PoolState {
  active: number;
  idle: number;
  waiting: number;
  capacity: number;
  utilization: number;
  health: string;
  /**
   * Pool-timeout and queue-full refusals only: the limits the refusal was judged by (its detail states
   * them too), those in force when the request asked. The pool timeout, in seconds.
   */
  poolTimeoutSeconds?: number;
  /** Pool-timeout and queue-full refusals only: the bound on waiting requests, as for poolTimeoutSeconds. */
  maxQueue?: number;
}


const QUERY_CANCELED = '57014';

/** Fastify's body errors say what is wrong but not what to send instead (nor that a JSON body with __proto__ counts as invalid). */
const CLIENT_ERROR_HINTS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send the body as application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'send one JSON value, without __proto__ or constructor.prototype keys',
};

function describePressure(pressure: PoolPressureError): Pick<Problem, 'type' | 'title' | 'status'> {
  if (pressure instanceof PoolQueueFullError) {
    return { type: '/problems/pool-queue-full', title: 'Too many requests are waiting for a database connection', status: 429 };
  }
  if (pressure instanceof PoolTimeoutError) {
    return { type: '/problems/pool-timeout', title: 'No database connection became free in time', status: 503 };
  }
  if (pressure instanceof CircuitOpenError) {
    return { type: '/problems/circuit-open', title: 'The database is recovering: requests are refused at once for now', status: 503 };
  }
  if (pressure instanceof PoolResetError) {
    return { type: '/problems/pool-reset', title: 'The connection pool was reset by an operator', status: 503 };
  }
  return { type: '/problems/database-unavailable', title: 'The database is temporarily unavailable', status: 503 };
}

/** The limits a pool refusal was judged by, as the error carries them: numbers a client reads without parsing the detail. */
function limitsJudgedBy(pressure: PoolPressureError): Pick<PoolState, 'poolTimeoutSeconds' | 'maxQueue'> | undefined {
  if (!(pressure instanceof PoolTimeoutError || pressure instanceof PoolQueueFullError)) return undefined;
  const { poolTimeoutSeconds, maxQueue } = pressure.limits;
  return { poolTimeoutSeconds, maxQueue };
}

/** Maps any error to its problem; pool pressure is never a 500. */
export function problemFor(error: unknown, pool: () => PoolState): Problem {
  const pressure = error instanceof PoolPressureError ? error : asUnavailable(error);
  if (pressure) {
    return {
      ...describePressure(pressure),
      detail: `${pressure.message}. Please retry after ${pressure.retryAfterSeconds} second(s).`,
      retryAfterSeconds: pressure.retryAfterSeconds,
      pool: { ...pool(), ...limitsJudgedBy(pressure) },
    };
  }
  if ((error as { code?: unknown })?.code === QUERY_CANCELED) {
    return {
      type: '/problems/operation-cancelled',
      title: 'The database cancelled a statement that ran too long',
      status: 503,
      detail: `${(error as Error).message}. Please retry after 1 second(s).`,
      retryAfterSeconds: 1,
      pool: pool(),
    };
  }
  if (error instanceof ConfigError) {
    return { type: '/problems/invalid-configuration', title: 'Invalid pool configuration', status: 400, detail: error.message };
  }
  const sqlState = (error as { code?: unknown })?.code;
  if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) {
    return {
      type: '/problems/database-operation-failed',
      title: 'The database operation failed',
      status: 500,
      detail: `The operation failed inside the database (SQLSTATE ${sqlState}).`,
    };
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const hint = CLIENT_ERROR_HINTS[String((error as { code?: unknown }).code)];
    return { type: '/problems/bad-request', title: 'The request was not understood', status, detail: hint ? `${(error as Error).message}: ${hint}` : (error as Error).message };
  }
  return { type: '/problems/internal-error', title: 'Internal error', status: 500, detail: 'An unexpected error occurred.' };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.retryAfterSeconds !== undefined) reply.header('Retry-After', String(problem.retryAfterSeconds));
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ ...problem, instance: problem.instance ?? redactCredentials(reply.request.url) });
}
