import type { FastifyInstance } from 'fastify';
import type { DatabaseConnectionManager, HealthStatus, HealthView } from '../pool';
import { requireAdminToken } from './admin-auth';
import { registerRecoveryRoutes } from './recovery-routes';

/** draft-inadarei-api-health-check: warn still answers 2xx, fail answers 503. */
const HEALTH_JSON_STATUS: Record<HealthStatus, 'pass' | 'warn' | 'fail'> = { healthy: 'pass', warning: 'warn', critical: 'fail' };

function checkStatus(bad: boolean, worse: boolean): 'pass' | 'warn' | 'fail' {
  return worse ? 'fail' : bad ? 'warn' : 'pass';
}

/** The health+json body: the plan's status word beside the draft's pass/warn/fail. */
export function healthDocument(service: string, snapshot: HealthView) {
  const { health, connections, utilization, config, thresholds } = snapshot;
  const time = snapshot.at;
  return {
    status: HEALTH_JSON_STATUS[health.status],
    poolStatus: health.status,
    serviceId: service,
    description: `${service} database connection pool`,
    notes: health.reasons,
    checks: {
      'pool:utilization': [
        {
          componentType: 'datastore',
          observedValue: utilization,
          observedUnit: 'ratio',
          // The health rules' own threshold (HEALTH_WARN_UTILIZATION), so this check and poolStatus agree.
          status: checkStatus(utilization >= thresholds.warnUtilization, false),
          time,
        },
      ],
      'pool:connections': [
        { componentType: 'datastore', componentId: 'active', observedValue: connections.active, observedUnit: 'connections', status: 'pass', time },
        { componentType: 'datastore', componentId: 'capacity', observedValue: connections.capacity, observedUnit: 'connections', status: 'pass', time },
      ],
      'pool:waiting': [
        {
          componentType: 'datastore',
          observedValue: connections.waiting,
          observedUnit: 'requests',
          status: checkStatus(connections.waiting > 0, connections.waiting > 0 && connections.active >= connections.capacity),
          time,
        },
      ],
      'database:responseTime': [
        {
          componentType: 'datastore',
          observedValue: health.probe.latencyMs ?? null,
          observedUnit: 'ms',
          status: health.probe.reachable ? 'pass' : 'fail',
          output: health.probe.error,
          time: health.probe.at,
        },
      ],
    },
    links: { config: `pool_size=${config.poolSize} max_overflow=${config.maxOverflow} pool_timeout=${config.poolTimeoutSeconds}` },
  };
}

/** What a deployment of this service allows a test suite to do; announced in GET /admin/pool. */
export interface ServiceCapabilities {
  /** FAULT_INJECTION=on: the deliberately buggy endpoints exist. */
  faultInjection: boolean;
}

/** GET /health, GET /metrics, and the admin endpoints every service exposes for its pool. */
export function registerPoolRoutes(
  app: FastifyInstance,
  service: string,
  manager: DatabaseConnectionManager,
  adminToken: string,
  capabilities: ServiceCapabilities = { faultInjection: false },
): void {
  app.get('/health', async (_request, reply) => {
    const view = manager.healthView();
    return reply
      .code(view.health.status === 'critical' ? 503 : 200)
      .type('application/health+json')
      .header('Cache-Control', 'no-store')
      .send(healthDocument(service, view));
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await manager.metrics.prometheusText();
    return reply.type(manager.metrics.prometheusContentType).send(text);
  });

  app.register(async (admin) => {
    admin.addHook('preHandler', requireAdminToken(adminToken));
    // Capabilities ride along so a suite pointed at a deployment can ask it (instead of probing a buggy endpoint).
    admin.get('/admin/pool', async () => ({ ...manager.snapshot(), capabilities }));
    admin.put('/admin/pool/config', async (request) => {
      await manager.reconfigure(request.body);
      return manager.snapshot();
    });
    // Leak detection: what is held, recent leak events with the stacks where taken; settings at run time.
    admin.get('/admin/pool/leaks', async () => manager.leaks.report());
    admin.put('/admin/pool/leaks', async (request) => {
      manager.configureLeaks(request.body);
      return manager.leaks.report();
    });
  });
  registerRecoveryRoutes(app, manager, adminToken);
}
