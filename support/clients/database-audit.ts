import pg from 'pg';

/** A pg_stat_activity row in the audit's databases ($2: a text array, or null for all). */
const IN_SCOPE = '($2::text[] IS NULL OR datname = ANY($2::text[]))';

export interface ConnectionCount {
  /** Every server connection the application holds open. */
  total: number;
  /** Connections running a statement or inside a transaction (not idle). */
  busy: number;
}

/** A database role a service's connections use: how many connections it holds now, and its CONNECTION LIMIT (-1: none). */
export interface RoleUse {
  role: string;
  connections: number;
  connectionLimit: number;
}

/**
 * The independent witness: what PostgreSQL itself says each service holds, from pg_stat_activity
 * by application_name, whatever the service reports about itself. Given `databases`, only
 * connections to those count (a shared server: parallel workers name their services alike).
 */
export class DatabaseAudit {
  /** One query at a time on the one connection (a timeline sampler and a step may ask at once). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly connection: pg.Client,
    /** null: every database (a bind parameter, $2 in the queries below). */
    private readonly databases: readonly string[] | null,
  ) {}

  /** The connection, for one query after whatever is under way. */
  private get client(): Pick<pg.Client, 'query' | 'escapeIdentifier'> {
    return {
      query: ((...args: Parameters<pg.Client['query']>) => {
        const run = this.queue.then(() => (this.connection.query as (...a: unknown[]) => Promise<unknown>)(...args));
        this.queue = run.catch(() => undefined);
        return run;
      }) as pg.Client['query'],
      escapeIdentifier: (name: string) => this.connection.escapeIdentifier(name),
    };
  }

  static async connect(url: string, databases?: readonly string[]): Promise<DatabaseAudit> {
    const client = new pg.Client({ connectionString: url, application_name: 'suite:audit' });
    client.on('error', () => undefined); // a dropped audit connection fails the next query instead
    await client.connect();
    return new DatabaseAudit(client, databases ?? null);
  }

  async connectionsOf(applicationName: string): Promise<ConnectionCount> {
    const { rows } = await this.client.query<{ total: string; busy: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE state IS DISTINCT FROM 'idle') AS busy
         FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend' AND ${IN_SCOPE}`,
      [applicationName, this.databases],
    );
    return { total: Number(rows[0]?.total ?? 0), busy: Number(rows[0]?.busy ?? 0) };
  }

  /** The server backends (pids) of `applicationName`'s connections, ascending: which connections, not only how many. */
  async pidsOf(applicationName: string): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend' AND ${IN_SCOPE} ORDER BY pid`,
      [applicationName, this.databases],
    );
    return rows.map((row) => Number(row.pid));
  }

  /** Connections of `applicationName` waiting on a lock (a hold the suite made from the database side). */
  async lockWaitersOf(applicationName: string): Promise<number> {
    const { rows } = await this.client.query<{ waiting: string }>(
      `SELECT count(*) AS waiting FROM pg_stat_activity
        WHERE application_name = $1 AND backend_type = 'client backend' AND wait_event_type = 'Lock' AND ${IN_SCOPE}`,
      [applicationName, this.databases],
    );
    return Number(rows[0]?.waiting ?? 0);
  }

  /** Whether a server backend with this pid still exists (a leaked connection's, say). */
  async backendExists(serverProcessId: number): Promise<boolean> {
    const { rows } = await this.client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [serverProcessId]);
    return rows.length > 0;
  }

  /** The database a service's connections (named `<service>` or `<service>:…`) are on; undefined while it has none open. */
  async databaseOf(applicationName: string): Promise<string | undefined> {
    const { rows } = await this.client.query<{ datname: string }>(
      "SELECT datname FROM pg_stat_activity WHERE application_name = $1 OR application_name LIKE $1 || ':%' LIMIT 1",
      [applicationName],
    );
    return rows[0]?.datname;
  }

  /**
   * How many sessions of a database PostgreSQL has seen ended by pg_terminate_backend (or another
   * administrator's signal): its own count, which a client merely closing its socket never raises
   * (that counts as a normal end, or as abandoned). Cumulative since the server started.
   */
  async sessionsKilledIn(database: string): Promise<number> {
    const { rows } = await this.client.query<{ killed: string }>('SELECT sessions_killed AS killed FROM pg_stat_database WHERE datname = $1', [database]);
    if (!rows[0]) throw new Error(`no database named ${database} in pg_stat_database`);
    return Number(rows[0].killed);
  }

  /**
   * The database roles a service's connections (its pool, probe and admin connections, named
   * `<service>` or `<service>:…`) use, each with how many connections the role holds now (all of
   * them: its CONNECTION LIMIT counts them all) and that limit (-1: none).
   */
  async rolesOf(applicationName: string): Promise<RoleUse[]> {
    const { rows } = await this.client.query<{ role: string; connections: string; limit: number }>(
      `SELECT r.rolname AS role, r.rolconnlimit AS limit,
              (SELECT count(*) FROM pg_stat_activity x WHERE x.usesysid = r.oid) AS connections
         FROM pg_roles r
        WHERE r.oid IN (SELECT usesysid FROM pg_stat_activity WHERE (application_name = $1 OR application_name LIKE $1 || ':%') AND ${IN_SCOPE})`,
      [applicationName, this.databases],
    );
    return rows.map((row) => ({ role: row.role, connections: Number(row.connections), connectionLimit: row.limit }));
  }

  /** Connections logged in as `role`, whatever they are named. */
  async connectionsOfRole(role: string): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND ${IN_SCOPE}`, [role, this.databases]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Terminates every server connection of `applicationName` (checked-out and idle alike); how many went. */
  async terminateConnectionsOf(applicationName: string): Promise<number> {
    const { rows } = await this.client.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated
         FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend' AND ${IN_SCOPE}`,
      [applicationName, this.databases],
    );
    return rows.filter((row) => row.terminated).length;
  }

  /** A role's CONNECTION LIMIT (-1: none). */
  async connectionLimitOf(role: string): Promise<number> {
    const { rows } = await this.client.query<{ limit: number }>('SELECT rolconnlimit AS limit FROM pg_roles WHERE rolname = $1', [role]);
    if (!rows[0]) throw new Error(`no database role named ${role}`);
    return rows[0].limit;
  }

  /** Sets a role's CONNECTION LIMIT (-1: none). A role name cannot be a bind parameter: it is quoted as an identifier. */
  async setConnectionLimit(role: string, limit: number): Promise<void> {
    if (!Number.isInteger(limit) || limit < -1) throw new Error(`a connection limit must be an integer of -1 or more, not ${limit}`);
    await this.client.query(`ALTER ROLE ${this.client.escapeIdentifier(role)} CONNECTION LIMIT ${limit}`);
  }

  /**
   * The server's connection slots: max_connections, those kept for superusers (and for
   * pg_use_reserved_connections members), and how many client connections hold one now.
   */
  async connectionSlots(): Promise<{ maxConnections: number; reserved: number; inUse: number }> {
    const { rows } = await this.client.query<{ max_connections: number; reserved: number; in_use: string }>(
      `SELECT current_setting('max_connections')::int AS max_connections,
              current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved,
              (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use`,
    );
    const row = rows[0]!;
    return { maxConnections: row.max_connections, reserved: row.reserved, inUse: Number(row.in_use) };
  }

  async serverVersion(): Promise<string> {
    const { rows } = await this.client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => undefined);
  }
}
