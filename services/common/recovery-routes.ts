import type { FastifyInstance } from 'fastify';
import type { DatabaseConnectionManager } from '../pool';
import { requireAdminToken } from './admin-auth';

/**
 * The operator's recovery tools, behind the admin token:
 *   POST /admin/pool/recover   runs the recovery strategies now, in priority order; answers the pass
 *   POST /admin/pool/reset     emergency reset: waiters refused (503), checked-out connections
 *                              terminated and taken back, a fresh pool, breaker closed
 *   GET  /admin/pool/recovery  settings, strategies, recorded attempts, circuit breaker
 *   PUT  /admin/pool/recovery  changes recoverAfterSeconds, longStatementSeconds, breakerFailures,
 *                              breakerHalfOpenAfterSeconds at run time (400 on a bad value)
 */
export function registerRecoveryRoutes(app: FastifyInstance, manager: DatabaseConnectionManager, adminToken: string): void {
  app.register(async (admin) => {
    admin.addHook('preHandler', requireAdminToken(adminToken));
    admin.post('/admin/pool/recover', async () => {
      const pass = await manager.recovery.run('manual');
      return { ...pass, connections: manager.snapshot().connections };
    });
    admin.post('/admin/pool/reset', async () => {
      const reset = await manager.recovery.reset();
      return { ...reset, connections: manager.snapshot().connections };
    });
    admin.get('/admin/pool/recovery', async () => manager.recovery.report());
    admin.put('/admin/pool/recovery', async (request) => {
      manager.recovery.configure(request.body);
      return manager.recovery.report();
    });
  });
}
