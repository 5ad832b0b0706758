import pg from 'pg';
import type { Duration } from '../duration';

/** What PostgreSQL saw of the connections the fault slowed down. */
export interface SlowedConnections {
  /** Connections of the application that waited out the delay and went on to log in. */
  opened: number;
  /** Connections of the application still inside the delay. */
  opening: number;
}

/** Event triggers on login came with PostgreSQL 17. */
const FIRST_VERSION_WITH_LOGIN_TRIGGERS = 170000;

/**
 * A slow-connect fault, made by PostgreSQL itself: a login event trigger on the service's database
 * sleeps before every new session of one application_name (the pool's connections) may start, so
 * the pool's connect() resolves that much later, as over a slow network or a busy server. Sessions
 * already open, and every other application (the health probe, the suite's own connections), are
 * not touched. Each slowed connection is logged when its wait is over, so a scenario can tell that
 * the slow connection really arrived.
 *
 * The trigger ends by itself at `expiresAt` (a suite killed mid-scenario leaves no slow database
 * behind for long), and remove() drops it. Identifiers and literals in the DDL are quoted with
 * node-postgres' own escaping: DDL takes no bind parameters.
 */
export class SlowConnectFault {
  private constructor(
    private readonly client: pg.Client,
    private readonly applicationName: string,
  ) {}

  /** `serviceDatabaseUrl`: a superuser URL on the service's own database (event triggers are per database). */
  static async install(serviceDatabaseUrl: string, applicationName: string, delay: Duration, expiresAt: Date): Promise<SlowConnectFault> {
    const client = new pg.Client({ connectionString: serviceDatabaseUrl, application_name: 'suite:slow-connect' });
    client.on('error', () => undefined); // a dropped connection fails the next call instead
    await client.connect();
    const fault = new SlowConnectFault(client, applicationName);
    try {
      await fault.dropAll(); // what a run killed mid-scenario may have left
      await fault.create(delay, expiresAt);
    } catch (error) {
      await fault.remove();
      throw error;
    }
    return fault;
  }

  /** Whether PostgreSQL at this URL has login event triggers (17 or later), and its version. */
  static async supported(url: string): Promise<{ supported: boolean; version: string }> {
    const client = new pg.Client({ connectionString: url, application_name: 'suite:slow-connect' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ num: string; version: string }>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version");
      return { supported: Number(rows[0]!.num) >= FIRST_VERSION_WITH_LOGIN_TRIGGERS, version: rows[0]!.version };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The connections slowed so far: those that got through, and those still waiting. */
  async slowed(): Promise<SlowedConnections> {
    const { rows } = await this.client.query<{ opened: string; opening: string }>(
      `SELECT (SELECT count(*) FROM suite_slow_connects) AS opened,
              (SELECT count(*) FROM pg_stat_activity
                WHERE application_name = $1 AND backend_type = 'client backend' AND wait_event = 'PgSleep' AND state IS NULL) AS opening`,
      [this.applicationName],
    );
    return { opened: Number(rows[0]!.opened), opening: Number(rows[0]!.opening) };
  }

  /** Connecting is fast again: the trigger, its function and its log are dropped. */
  async remove(): Promise<void> {
    try {
      await this.dropAll();
    } finally {
      await this.client.end().catch(() => undefined);
    }
  }

  /** The trigger first: a login from now on finds no trigger, rather than a trigger without its function or log. */
  private async dropAll(): Promise<void> {
    await this.client.query('DROP EVENT TRIGGER IF EXISTS suite_slow_connect');
    await this.client.query('DROP FUNCTION IF EXISTS suite_slow_connect()');
    await this.client.query('DROP TABLE IF EXISTS suite_slow_connects');
  }

  private async create(delay: Duration, expiresAt: Date): Promise<void> {
    const { client } = this;
    const seconds = delay.seconds;
    if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`a connect delay must be a positive length of time, not ${delay}`);
    await client.query('CREATE TABLE suite_slow_connects (pid int NOT NULL, delayed_until timestamptz NOT NULL)');
    // SECURITY DEFINER: the trigger runs as the service's role logging in, which may not write the log.
    await client.query(
      `CREATE FUNCTION suite_slow_connect() RETURNS event_trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
       BEGIN
         IF current_setting('application_name') = ${client.escapeLiteral(this.applicationName)}
            AND clock_timestamp() < ${client.escapeLiteral(expiresAt.toISOString())}::timestamptz THEN
           PERFORM pg_sleep(${seconds});
           INSERT INTO suite_slow_connects VALUES (pg_backend_pid(), clock_timestamp());
         END IF;
       END $fn$`,
    );
    await client.query('CREATE EVENT TRIGGER suite_slow_connect ON login EXECUTE FUNCTION suite_slow_connect()');
  }
}
