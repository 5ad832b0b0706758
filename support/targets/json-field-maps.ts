/**
 * Ready-made maps from what the suite reads about a pool to where a service's JSON answer keeps it
 * (dotted paths), like the Prometheus name maps: a description names one, or gives its own.
 */
export const JSON_FIELD_MAPS = {
  /** Our services' GET /admin/pool snapshot (docs/operators.md). */
  ours: {
    active: 'connections.active',
    idle: 'connections.idle',
    waiting: 'connections.waiting',
    open: 'connections.total',
    capacity: 'connections.capacity',
    poolSize: 'connections.poolSize',
    maxOverflow: 'config.maxOverflow',
    poolTimeoutSeconds: 'config.poolTimeoutSeconds',
    maxQueue: 'config.maxQueue',
    utilization: 'utilization',
    acquired: 'counters.acquired',
    released: 'counters.released',
    timeouts: 'counters.timeouts',
    rejected: 'counters.rejected',
    errors: 'counters.errors',
    created: 'counters.created',
    destroyed: 'counters.destroyed',
    leaksDetected: 'counters.leaksDetected',
    leaksReclaimed: 'counters.leaksReclaimed',
    recoveryAttempts: 'counters.recoveryAttempts',
    recoverySuccesses: 'counters.recoverySuccesses',
    waitPercentilesMs: 'waitMs',
    health: 'health.status',
  },
} as const satisfies Record<string, Record<string, string>>;

export type JsonFieldMapName = keyof typeof JSON_FIELD_MAPS;
