import type { ServiceProcess } from '../../testkit/service-process';

/** Where the system under test answers, as the suite sees it: only its public contract. */
export interface Deployment {
  environment: string;
  backendUrl: string;
  authUrl: string | undefined;
  adminToken: string;
  /** A superuser URL for the pg_stat_activity audit; absent where a target does not allow it. */
  auditDatabaseUrl: string | undefined;
  /**
   * The databases the services' connections are in, where the server may hold others' connections
   * named alike (external: parallel workers, other runs): the audit counts only these. All when absent.
   */
  auditDatabases?: readonly string[];
  /** Whether the deliberately buggy endpoints are on (FAULT_INJECTION=on). */
  faultInjection: boolean;
  /**
   * Starts one more instance of a service, with some of its variables changed (on a free port
   * unless PORT is one of them). Only where the suite spawns the services; the caller stops it.
   */
  spawnService?: (service: 'backend' | 'auth', envOverrides: Record<string, string>) => Promise<ServiceProcess>;
  /** Stops and starts the PostgreSQL server on its same data, as an outage would. Only where the suite runs it. */
  databaseServer?: DatabaseServer;
}

export interface DatabaseServer {
  readonly running: boolean;
  /** A fast shutdown: connections are ended, the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port. */
  start(): Promise<void>;
}

/** What an environment gives a target description: only PostgreSQL, on which the description's services are set up. */
export interface DatabaseOnly {
  /** A superuser URL; undefined where the environment runs no PostgreSQL of its own (remote). */
  adminUrl: string | undefined;
  databaseServer?: DatabaseServer;
}

export interface Environment {
  readonly name: string;
  /** PostgreSQL and our own services. */
  start(): Promise<Deployment>;
  /** PostgreSQL only, for the services a target description starts (TARGET=…). */
  startDatabase(): Promise<DatabaseOnly>;
  stop(): Promise<void>;
}
