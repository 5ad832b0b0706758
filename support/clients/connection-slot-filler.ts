import pg from 'pg';

/** Connections opened at once while filling: quick, without a fork storm on a 2-core machine. */
const BATCH = 10;

/**
 * Other clients of a shared PostgreSQL server, played by the suite: idle superuser connections
 * that take the server's free connection slots (max_connections), so that the services find
 * the server full. Superuser connections, so they may use the slots kept for superusers too.
 */
export class ConnectionSlotFiller {
  private readonly clients: pg.Client[] = [];

  private constructor(private readonly url: string) {}

  static async fill(url: string, count: number): Promise<ConnectionSlotFiller> {
    const filler = new ConnectionSlotFiller(url);
    try {
      for (let opened = 0; opened < count; opened += BATCH) {
        await Promise.all(Array.from({ length: Math.min(BATCH, count - opened) }, () => filler.openOne()));
      }
    } catch (error) {
      await filler.release();
      throw new Error(`could not open ${count} connections to fill the server's slots: ${(error as Error).message}`);
    }
    return filler;
  }

  get held(): number {
    return this.clients.length;
  }

  async release(): Promise<void> {
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }

  private async openOne(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'suite:slot-filler' });
    client.on('error', () => undefined); // ended by the scenario (or a restart): nothing to do
    await client.connect();
    this.clients.push(client);
  }
}
