import type { FastifyInstance } from 'fastify';
import { requireAdminToken } from '../common/admin-auth';
import { sendProblem } from '../common/problem';
import type { DatabaseConnectionManager, PooledConnection } from '../pool';

/** `global.gc` exists only when the process runs with --expose-gc (the suite spawns services so). */
const forceGc = (globalThis as { gc?: () => void }).gc;

type LeakMode = 'held' | 'dropped';

/**
 * The deliberately buggy endpoint, only with FAULT_INJECTION=on (404 otherwise, as for any
 * unknown route), and the admin endpoint that forces garbage collection.
 *
 * POST /api/work/leak?mode=held     takes a connection inside a transaction and keeps the handle
 *                                   forever, as a buggy cache would: found by the leak threshold.
 * POST /api/work/leak?mode=dropped  takes one and drops the handle without release, as a handler
 *                                   that forgets `finally` would: found after garbage collection.
 * POST /admin/gc                    runs a full garbage collection now (501 without --expose-gc).
 */
export function registerFaultRoutes(app: FastifyInstance, manager: DatabaseConnectionManager, options: { faultInjection: boolean; adminToken: string }): void {
  app.register(async (admin) => {
    admin.addHook('preHandler', requireAdminToken(options.adminToken));
    admin.post('/admin/gc', async (_request, reply) => {
      if (!forceGc) {
        return sendProblem(reply, {
          type: '/problems/gc-not-exposed',
          title: 'Garbage collection cannot be forced',
          status: 501,
          detail: 'This process was not started with --expose-gc.',
        });
      }
      const before = manager.metrics.snapshot().counters.leaksDetected;
      const heapBefore = process.memoryUsage().heapUsed;
      forceGc();
      // FinalizationRegistry callbacks run as tasks after the collection: let them run first.
      await new Promise((resolve) => setImmediate(resolve));
      forceGc();
      await new Promise((resolve) => setImmediate(resolve));
      const { leaksDetected, leaksReclaimed } = manager.metrics.snapshot().counters;
      return { collected: true, heapUsedBefore: heapBefore, heapUsedAfter: process.memoryUsage().heapUsed, leaksFoundNow: leaksDetected - before, leaksDetected, leaksReclaimed };
    });
  });

  if (!options.faultInjection) return;

  /** The handles of "held" leaks, kept so they are never collected (pruned once the pool took them back). */
  let kept: PooledConnection[] = [];

  app.post<{ Querystring: { mode: LeakMode } }>(
    '/api/work/leak',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { mode: { type: 'string', enum: ['held', 'dropped'], default: 'held' } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { mode } = request.query;
      const held = new Set(manager.pool.heldCheckouts().map((c) => c.id));
      kept = kept.filter((connection) => held.has(connection.id));
      const connection = await manager.pool.acquire();
      // An open transaction: pg_stat_activity shows the leak as busy ("idle in transaction").
      await connection.query('BEGIN');
      await connection.query('SELECT txid_current()');
      if (mode === 'held') kept.push(connection);
      return { leaked: true, mode, checkoutId: connection.id, serverProcessId: connection.serverProcessId };
    },
  );
}
