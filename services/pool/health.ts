import { utilizationOf, type PoolCounts } from './connection-pool-metrics';
import { SideConnection } from './side-connection';

export type HealthStatus = 'healthy' | 'warning' | 'critical';
export const HEALTH_LEVEL: Record<HealthStatus, number> = { healthy: 0, warning: 1, critical: 2 };

export interface HealthTransition {
  at: string;
  from: HealthStatus;
  to: HealthStatus;
  reasons: string[];
}

export interface HealthReport {
  status: HealthStatus;
  reasons: string[];
  since: string;
  probe: ProbeResult;
  transitions: HealthTransition[];
}

export interface HealthThresholds {
  warnUtilization: number;
  timeoutWindowSeconds: number;
}

/** What the pool looks like to the health rules at one moment. */
export interface HealthInputs {
  counts: PoolCounts;
  pressureEventsInWindow: number;
  leaksHeld: number;
  probe: ProbeResult;
}

export interface ProbeResult {
  reachable: boolean;
  latencyMs: number | undefined;
  error: string | undefined;
  at: string;
}

const TRANSITION_HISTORY = 50;

/** What the pool's load alone says: 2 saturated with requests waiting, 1 busy (warn), 0 spare capacity. */
export type LoadLevel = 0 | 1 | 2;

/**
 * The load part of the rules, on plain numbers (the manager asks it on every pool event to decide
 * whether health can have changed): saturated = every connection in use and someone waiting;
 * busy = utilization at or above the warning threshold, or anyone waiting.
 */
export function loadLevel(active: number, capacity: number, waiting: number, warnUtilization: number): LoadLevel {
  if (active >= capacity && waiting > 0) return 2;
  return utilizationOf(active, capacity) >= warnUtilization || waiting > 0 ? 1 : 0;
}

/** The rules, as a pure function: critical beats warning beats healthy; every reason is kept. */
export function assessHealth(inputs: HealthInputs, thresholds: HealthThresholds): { status: HealthStatus; reasons: string[] } {
  const { counts, pressureEventsInWindow, leaksHeld, probe } = inputs;
  const { active, capacity, waiting, utilization } = counts;
  const critical: string[] = [];
  const warning: string[] = [];
  const percent = Math.round(utilization * 100);

  if (!probe.reachable) critical.push(`database unreachable: ${probe.error ?? 'probe failed'}`);
  const load = loadLevel(active, capacity, waiting, thresholds.warnUtilization);
  if (load === 2) critical.push(`pool saturated: ${active}/${capacity} in use, ${waiting} waiting`);
  else if (utilization >= thresholds.warnUtilization) {
    warning.push(`utilization ${percent}% >= ${Math.round(thresholds.warnUtilization * 100)}%`);
  }
  if (waiting > 0 && active < capacity) warning.push(`${waiting} waiting for a connection`);
  if (pressureEventsInWindow > 0) {
    warning.push(`${pressureEventsInWindow} timed out or refused in the last ${thresholds.timeoutWindowSeconds}s`);
  }
  if (leaksHeld > 0) warning.push(`${leaksHeld} connection(s) held past the leak threshold`);

  if (critical.length > 0) return { status: 'critical', reasons: [...critical, ...warning] };
  if (warning.length > 0) return { status: 'warning', reasons: warning };
  return { status: 'healthy', reasons: [] };
}

/** Keeps the current status and a bounded history of transitions with their reasons. */
export class HealthTracker {
  private status: HealthStatus = 'healthy';
  private reasons: string[] = [];
  private since = new Date().toISOString();
  private readonly transitions: HealthTransition[] = [];

  update(next: { status: HealthStatus; reasons: string[] }): void {
    this.reasons = next.reasons;
    if (next.status === this.status) return;
    const at = new Date().toISOString();
    this.transitions.push({ at, from: this.status, to: next.status, reasons: next.reasons });
    if (this.transitions.length > TRANSITION_HISTORY) this.transitions.shift();
    this.status = next.status;
    this.since = at;
  }

  get current(): HealthStatus {
    return this.status;
  }

  report(probe: ProbeResult): HealthReport {
    return { status: this.status, reasons: [...this.reasons], since: this.since, probe, transitions: [...this.transitions] };
  }
}

/**
 * Reachability probe on its own connection, outside the pool, so that a full pool can never make
 * the probe itself wait. Each probe is bounded by `timeoutMs`; a failed connection is replaced.
 */
export class DatabaseProbe {
  private readonly connection: SideConnection;
  private last: ProbeResult = { reachable: true, latencyMs: undefined, error: undefined, at: new Date().toISOString() };
  private running: Promise<ProbeResult> | undefined;

  constructor(
    connectionString: string,
    applicationName: string,
    private readonly timeoutMs: number,
  ) {
    this.connection = new SideConnection(connectionString, applicationName, timeoutMs);
  }

  get lastResult(): ProbeResult {
    return this.last;
  }

  /** Runs one probe (joining one already under way). */
  probe(): Promise<ProbeResult> {
    this.running ??= this.runProbe().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private async runProbe(): Promise<ProbeResult> {
    const started = performance.now();
    try {
      await this.connection.query('SELECT 1', [], this.timeoutMs);
      this.last = { reachable: true, latencyMs: performance.now() - started, error: undefined, at: new Date().toISOString() };
    } catch (error) {
      await this.connection.close();
      this.last = {
        reachable: false,
        latencyMs: undefined,
        error: error instanceof Error ? error.message : String(error),
        at: new Date().toISOString(),
      };
    }
    return this.last;
  }
}
