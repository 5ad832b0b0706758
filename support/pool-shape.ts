import { Duration } from './duration';
import type { PoolLimits } from './clients/contract';

/**
 * A pool's shape as the features speak of it: SQLAlchemy's pool_size, max_overflow and
 * pool_timeout, and the bound on waiting requests. The timeout is a Duration; the admin API's
 * `poolTimeoutSeconds` exists only at the client's boundary (limitsOf / shapeOf).
 */
export interface PoolShape {
  poolSize: number;
  maxOverflow: number;
  poolTimeout: Duration;
  maxQueue: number;
}

/** pool_size + max_overflow: the connections that may be checked out at once. */
export function capacityOf(shape: Pick<PoolShape, 'poolSize' | 'maxOverflow'>): number {
  return shape.poolSize + shape.maxOverflow;
}

/** The shape as the admin API takes it (only the parts given). */
export function limitsOf(shape: Partial<PoolShape>): Partial<PoolLimits> {
  const { poolTimeout, ...rest } = shape;
  return { ...rest, ...(poolTimeout ? { poolTimeoutSeconds: poolTimeout.seconds } : {}) };
}

/** The shape of what a service reports (its config carries more than the four limits). */
export function shapeOf({ poolSize, maxOverflow, poolTimeoutSeconds, maxQueue }: PoolLimits): PoolShape {
  return { poolSize, maxOverflow, poolTimeout: Duration.ofSeconds(poolTimeoutSeconds), maxQueue };
}

/** "pool_size=5 max_overflow=3 pool_timeout=30 s max_queue=10", for reports. */
export function describeShape(shape: PoolShape): string {
  return `pool_size=${shape.poolSize} max_overflow=${shape.maxOverflow} pool_timeout=${shape.poolTimeout} max_queue=${shape.maxQueue}`;
}
