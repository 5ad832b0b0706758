import type { ServiceName } from '../../env/service-settings';

/**
 * Where a run's system lives, as its environment (TEST_ENV) gives it: the PostgreSQL the services
 * use, and which services already run elsewhere. The target description (TARGET, `ours` by default)
 * says how each service is started, driven and read; the environment only says where.
 */
export interface Platform {
  /** "embedded", "external", "remote", "docker": for reports and skips. */
  environment: string;
  /** A superuser URL of the PostgreSQL the services use; undefined where the suite may not reach it (remote without DATABASE_URL). */
  adminUrl: string | undefined;
  /** Stops and starts that PostgreSQL on its same data, as an outage would: only where the suite runs it. */
  databaseServer?: DatabaseServer;
  /** Services that already run, by name (remote, the compose stack): the description's `start` is not used for them. */
  running: Partial<Record<ServiceName, string>>;
  /** Secrets those running services were given, by the names descriptions use ({{secret:admin}}). */
  secrets: Readonly<Record<string, string>>;
  /** {{prefix}} in a role name: the run's DB_PREFIX (and a parallel worker's w<id>_ on a shared server). */
  dbPrefix: string;
}

export interface DatabaseServer {
  readonly running: boolean;
  /** A fast shutdown: connections are ended, the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port. */
  start(): Promise<void>;
}

export interface Environment {
  readonly name: string;
  /** Starts what this environment runs itself (PostgreSQL; the compose stack) and says where things are. */
  start(): Promise<Platform>;
  stop(): Promise<void>;
}
