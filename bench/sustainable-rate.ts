import type { BackendClient as ServiceClient } from './backend-client';
import { configureBackendPool } from './bench-system';
import { runLoad } from './http-load';
import { round } from './latency-histogram';

export interface SustainableRateOptions {
  capacity: number;
  holdSeconds: number;
  /** Closed-loop callers as a multiple of capacity: above 1 keeps the pool saturated. */
  callerFactor: number;
  durationSeconds: number;
}

export interface SustainableRateResult {
  workload: SustainableRateOptions & { callers: number; endpoint: string };
  /** C / T: what a pool of C connections each held T seconds can serve at most. */
  theoreticalPerSec: number;
  achievedPerSec: number;
  /** achieved / theoretical; target >= 0.9 with zero errors. */
  sustainableRateRatio: number;
  /** Anything but 200, plus requests that got no answer: must be 0. */
  errors: number;
  byStatus: Record<string, number>;
}

/**
 * HikariCP's saturated-pool test, over HTTP: capacity C, each request holds its connection T
 * seconds, more closed-loop callers than connections (queue and timeout large enough that nobody
 * is refused). The service should sustain about C/T requests per second with no error.
 */
export async function measureSustainableRate(backend: ServiceClient, options: SustainableRateOptions): Promise<SustainableRateResult> {
  const callers = Math.ceil(options.capacity * options.callerFactor);
  await configureBackendPool(backend, { poolSize: options.capacity, maxOverflow: 0, poolTimeoutSeconds: 30, maxQueue: callers * 2 });
  const url = `${backend.baseUrl}/api/work/hold?seconds=${options.holdSeconds}`;
  // Warm-up: open the pool's connections (and the HTTP keep-alive sockets) before counting.
  await runLoad({ url, connections: callers, durationSeconds: 1 });
  const load = await runLoad({ url, connections: callers, durationSeconds: options.durationSeconds });

  const ok = load.byStatus['200'] ?? 0;
  const theoreticalPerSec = options.capacity / options.holdSeconds;
  const achievedPerSec = ok / load.durationSeconds;
  return {
    workload: { ...options, callers, endpoint: 'GET /api/work/hold' },
    theoreticalPerSec: round(theoreticalPerSec, 1),
    achievedPerSec: round(achievedPerSec, 1),
    sustainableRateRatio: round(achievedPerSec / theoreticalPerSec, 3),
    errors: load.completed - ok + load.unanswered,
    byStatus: load.byStatus,
  };
}
