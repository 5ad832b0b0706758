import pg from 'pg';

/**
 * One connection to the database outside the pool, for the work an exhausted pool cannot lend a
 * connection to: the health probe, and recovery's cancel/terminate. Opened when first used (or by
 * open()), shared by concurrent callers while it opens, and replaced on the next use after the
 * server dropped it (a restart, pg_terminate_backend). Only this module and the pool import pg.
 */
export class SideConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;

  constructor(
    private readonly connectionString: string,
    /** How pg_stat_activity names it: `<service>:probe`, `<service>:recovery`. */
    private readonly applicationName: string,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Opens it now, so that its slot under the role's CONNECTION LIMIT is taken before it is needed; a failure waits for the next use. */
  async open(): Promise<void> {
    await this.connected().catch(() => undefined);
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], queryTimeoutMs?: number): Promise<pg.QueryResult<R>> {
    const client = await this.connected();
    return client.query<R>({ text, values, ...(queryTimeoutMs === undefined ? {} : { query_timeout: queryTimeoutMs }) } as pg.QueryConfig);
  }

  /** Closes it (a later query opens a new one). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.connectionString, application_name: this.applicationName, connectionTimeoutMillis: this.connectTimeoutMs });
      client.on('error', () => {
        // The server dropped it: the next use reconnects.
        if (this.client === client) this.client = undefined;
      });
      await client.connect();
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
