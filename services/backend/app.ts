import Fastify, { type FastifyInstance } from 'fastify';
import { registerProblemHandlers } from '../common/error-handling';
import { registerPoolRoutes } from '../common/pool-routes';
import { loggerOptions } from '../common/request-logging';
import type { DatabaseConnectionManager } from '../pool';
import type { BackendConfig } from './config';
import { registerFaultRoutes } from './fault-routes';
import type { TokenVerifier } from './token-verifier';
import { FAIL, FAST_READ, HOLD } from './queries';
import { attachWebSocket } from './websocket';

export const SERVICE_NAME = 'backend';

/** Longest hold the workload accepts, so a typo cannot pin a connection for a day. */
const MAX_HOLD_SECONDS = 300;

/**
 * Builds the backend (routes, error mapping) without listening: main.ts runs it, tests build it
 * the same way. Workload endpoints express the plan's operations: fast, long-running, failing.
 */
export function buildBackendApp(config: BackendConfig, manager: DatabaseConnectionManager, options: { tokenVerifier?: TokenVerifier } = {}): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(config.http.logLevel), bodyLimit: 64 * 1024 });
  registerProblemHandlers(app, manager);

  registerPoolRoutes(app, SERVICE_NAME, manager, config.http.adminToken, { faultInjection: config.faultInjection });
  registerFaultRoutes(app, manager, { faultInjection: config.faultInjection, adminToken: config.http.adminToken });
  // WebSocket at /ws, when there is an auth service whose tokens it can verify.
  if (options.tokenVerifier) attachWebSocket(app, manager, options.tokenVerifier);

  app.get('/api/work/fast', async () => {
    const started = performance.now();
    // The pool's arrival and grant numbers let a client check the queue is FIFO from the service's own record.
    const checkout = await manager.withConnection(async (connection) => {
      await connection.query(FAST_READ);
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
      // The grant record too: a queue of holds proves FIFO beyond the pool's capacity by it.
      const checkout = await manager.withConnection(async (connection) => {
        await connection.query(HOLD, [seconds]);
        return connection.grant;
      });
      return { ok: true, heldSeconds: seconds, durationMs: performance.now() - started, checkout };
    },
  );

  app.get('/api/work/fail', async () => {
    // Fails inside the database on purpose; the connection must still come back.
    await manager.withConnection((connection) => connection.query(FAIL));
    return { ok: true };
  });

  return app;
}
