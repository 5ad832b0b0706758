import type { FastifyInstance } from 'fastify';
import type { DatabaseConnectionManager } from '../pool';
import { problemFor, sendProblem, type Problem } from './problem';
import { redactCredentials } from './request-logging';

/**
 * The error and not-found handlers of every service: any error is answered as problem+json, pool
 * pressure as 429/503 with Retry-After (never a 500), and what is a real fault is logged.
 * `ownProblem` maps the errors only this service knows (the auth service's rejected tokens).
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
}
