export { AsyncConnectionPool } from './async-connection-pool';
export { PooledConnection } from './pooled-connection';
export { ConnectionPoolMetrics } from './connection-pool-metrics';
export { databaseConfigFromEnv, type DatabaseConfig, type PoolLimits } from './database-config';
export { DatabaseConnectionManager, type HealthView, type PoolSnapshot } from './database-connection-manager';
export * from './errors';
export type { HealthReport, HealthStatus } from './health';
