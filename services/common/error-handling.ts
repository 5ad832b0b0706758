import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DatabaseConnectionManager } from '../pool';
import { problemFor, sendProblem, type Problem } from './problem';
import { redactCredentials } from './request-logging';

/**
 * The error and not-found handlers of every service: any error is answered as problem+json, pool
 * pressure as 429/503 with Retry-After (never a 500), and what is a real fault is logged.
 * `ownProblem` maps the errors only this service knows (the auth service's rejected tokens).
 *
 * Every refusal (a 429 or 503 problem: pool pressure, an open breaker, an unavailable database)
 * is timed here, where refusals are answered: from the request's arrival (when Fastify starts on
 * it) until the reply has been handed to the socket, into dbpool_refusal_duration_seconds{status}.
 * A 503 that is not a problem (GET /health saying fail) is a report, not a refusal.
 */
export function registerProblemHandlers(
  app: FastifyInstance,
  manager: DatabaseConnectionManager,
  ownProblem: (error: unknown) => Problem | undefined = () => undefined,
): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = ownProblem(error) ?? problemFor(error, () => manager.liveState());
    if (problem.status >= 500 && !problem.retryAfterSeconds) request.log.error({ err: error }, 'request failed');
    if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { type: '/problems/not-found', title: 'Not found', status: 404, detail: `No route for ${request.method} ${redactCredentials(request.url)}.` }),
  );
  // A callback hook (no promise per request); with an onResponse hook Fastify stamps every
  // request's start and end, which is what reply.elapsedTime reads.
  app.addHook('onResponse', (_request, reply, done) => {
    const status = reply.statusCode;
    if ((status === 429 || status === 503) && isProblem(reply)) manager.metrics.recordRefusal(status, reply.elapsedTime / 1000);
    done();
  });
}

/** What sendProblem answers with (Fastify may append a charset). */
const PROBLEM_TYPE = 'application/problem+json';

function isProblem(reply: FastifyReply): boolean {
  const type = reply.getHeader('content-type');
  return typeof type === 'string' && type.startsWith(PROBLEM_TYPE);
}
