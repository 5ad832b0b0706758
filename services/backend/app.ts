import Fastify, { type FastifyInstance } from 'fastify';
import { problemFor, sendProblem } from '../common/problem';
import { registerPoolRoutes } from '../common/pool-routes';
import { loggerOptions, redactCredentials } from '../common/request-logging';
import type { DatabaseConnectionManager } from '../pool';
import type { BackendConfig } from './config';
import { registerFaultRoutes } from './fault-routes';
import type { TokenVerifier } from './token-verifier';
import { attachWebSocket } from './websocket';

export const SERVICE_NAME = 'backend';

/** Longest hold the workload accepts, so a typo cannot pin a connection for a day. */
const MAX_HOLD_SECONDS = 300;

/**
 * Builds the backend (routes, error mapping) without listening: main.ts runs it, tests build it
 * the same way. Workload endpoints express the plan's operations: fast, long-running, failing.
 */
export function buildBackendApp(config: BackendConfig, manager: DatabaseConnectionManager, options: { tokenVerifier?: TokenVerifier } = {}): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(), bodyLimit: 64 * 1024 });

  app.setErrorHandler((error, request, reply) => {
    const problem = problemFor(error, () => manager.liveState());
    if (problem.status >= 500 && !problem.retryAfterSeconds) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { type: '/problems/not-found', title: 'Not found', status: 404, detail: `No route for ${request.method} ${redactCredentials(request.url)}.` }),
  );

  registerPoolRoutes(app, SERVICE_NAME, manager, config.http.adminToken, { faultInjection: config.faultInjection });
  registerFaultRoutes(app, manager, { faultInjection: config.faultInjection, adminToken: config.http.adminToken });
  // WebSocket at /ws, when there is an auth service whose tokens it can verify.
  if (options.tokenVerifier) attachWebSocket(app, manager, options.tokenVerifier);

  app.get('/api/work/fast', async () => {
    const started = performance.now();
    // The pool's arrival and grant numbers let a client check the queue is FIFO from the service's own record.
    const checkout = await manager.withConnection(async (connection) => {
      await connection.query('SELECT 1 AS ok');
      return connection.grant;
    });
    return { ok: true, durationMs: performance.now() - started, checkout };
  });

  app.get<{ Querystring: { seconds: number } }>(
    '/api/work/hold',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['seconds'],
          properties: { seconds: { type: 'number', exclusiveMinimum: 0, maximum: MAX_HOLD_SECONDS } },
        },
      },
    },
    async (request) => {
      const started = performance.now();
      const { seconds } = request.query;
      await manager.withConnection((connection) => connection.query('SELECT pg_sleep($1)', [seconds]));
      return { ok: true, heldSeconds: seconds, durationMs: performance.now() - started };
    },
  );

  app.get('/api/work/fail', async () => {
    // Fails inside the database on purpose; the connection must still come back.
    await manager.withConnection((connection) => connection.query('SELECT 1 / 0'));
    return { ok: true };
  });

  return app;
}
