import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ServiceName } from '../../env/service-settings';
import { freePort } from '../../testkit/free-port';
import { ManagedProcess } from '../../testkit/managed-process';
import { DatabaseAudit } from '../clients/database-audit';
import { sendRaw } from '../clients/raw-http';
import { databaseUrl, provisionTargetDatabase } from '../clients/target-database';
import { Duration } from '../duration';
import type { PoolShape } from '../pool-shape';
import { REQUEST } from '../timeouts';
import type { ServiceDescription, TargetDescription } from './description';
import { DescribedTarget, initialShape, shapeValues } from './described-target';
import { fillTemplate, type TemplateValue } from './templates';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A described service the suite started: its process, and how to start it again with another shape. */
interface StartedService {
  name: ServiceName;
  process: ManagedProcess | undefined;
  url: string;
  start: ((shape: PoolShape) => Promise<ManagedProcess>) | undefined;
}

/**
 * The system a target description describes: for each service, its own role and database made on
 * the run's PostgreSQL (with its setup SQL), its process started with the file's templates filled in
 * (and started again whenever a scenario needs another pool shape), or the URL where it already runs.
 * Stopped, all of it, at the end of the run.
 */
export class TargetSystem {
  readonly targets: Partial<Record<ServiceName, DescribedTarget>> = {};
  private readonly started: StartedService[] = [];
  private readonly secrets = new Map<string, string>();
  private audit: DatabaseAudit | undefined;
  private auditUrl: string | undefined;

  private constructor(readonly description: TargetDescription) {}

  /**
   * Starts every service of the description (auth first: the backend may name its URL) on the
   * PostgreSQL whose superuser URL is `adminUrl` (undefined for services that already run elsewhere).
   */
  static async start(description: TargetDescription, adminUrl: string | undefined): Promise<TargetSystem> {
    const system = new TargetSystem(description);
    try {
      const order: ServiceName[] = description.services.auth ? ['auth', 'backend'] : ['backend'];
      for (const name of order) await system.startService(name, description.services[name]!, adminUrl);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** The superuser URL the audit uses: the run's own, or the one a running service's file names. */
  get auditDatabaseUrl(): string | undefined {
    return this.auditUrl;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.targets).map((target) => target!.releaseScenario()));
    await Promise.all(this.started.map((service) => service.process?.stop()));
    await this.audit?.close();
    this.audit = undefined;
  }

  private secret(name: string): string {
    if (!this.secrets.has(name)) this.secrets.set(name, randomBytes(16).toString('hex'));
    return this.secrets.get(name)!;
  }

  private async startService(name: ServiceName, service: ServiceDescription, runAdminUrl: string | undefined): Promise<void> {
    const where = `${this.description.name}: services.${name}`;
    const values: Record<string, TemplateValue | undefined> = {
      host: '127.0.0.1',
      node: process.execPath,
      secret: (argument) => this.secret(argument ?? 'default'),
      env: (argument) => {
        const value = argument ? process.env[argument] : undefined;
        if (value === undefined) throw new Error(`${where}: {env:${argument ?? ''}} is not set in the environment`);
        return value;
      },
      url: (argument) => {
        const other = this.started.find((s) => s.name === argument);
        if (!other) throw new Error(`${where}: {url:${argument ?? ''}} names no service started before this one`);
        return other.url;
      },
    };
    const adminUrl = service.database.adminUrl ? fillTemplate(service.database.adminUrl, values, `${where}.database.adminUrl`) : runAdminUrl;
    if (!adminUrl) throw new Error(`${where}: the run gives no PostgreSQL (TEST_ENV=remote) and the file names none (database.adminUrl)`);
    values.adminUrl = adminUrl;
    if (service.database.role) {
      const role = service.database.role;
      values.databaseUrl = await provisionTargetDatabase(
        adminUrl,
        { role, password: this.secret(`database:${role}`), connectionLimit: service.database.connectionLimit },
        service.database.setup.map((file) => path.resolve(REPO_ROOT, file)),
      );
    }
    this.auditUrl ??= adminUrl;
    this.audit ??= await DatabaseAudit.connect(adminUrl);
    const lockUrl = service.database.role ? databaseUrl(adminUrl, { database: service.database.role }) : adminUrl;

    let entry: StartedService;
    if (service.start) {
      const start = service.start;
      const port = await freePort();
      values.port = port;
      const url = `http://127.0.0.1:${port}`;
      const launch = async (shape: PoolShape): Promise<ManagedProcess> => {
        const filled = { ...values, ...shapeValues(shape) };
        return ManagedProcess.start({
          name: `${this.description.name} ${name}`,
          command: start.command.map((part) => fillTemplate(part, filled, `${where}.start.command`)),
          cwd: REPO_ROOT,
          env: Object.fromEntries(Object.entries(start.env).map(([key, value]) => [key, fillTemplate(value, filled, `${where}.start.env.${key}`)])),
          ready: {
            check: async () => {
              const raw = start.ready.request;
              const answer = await sendRaw(url, { method: raw.method, path: raw.path, headers: raw.headers, ...(raw.body === undefined ? {} : { body: raw.body }) }, REQUEST.livenessProbe);
              return start.ready.status.includes(answer.status);
            },
            everyMs: 200,
          },
          startTimeoutMs: Duration.parse(start.readyWithin).ms,
        });
      };
      entry = { name, process: await launch(initialShape(service)), url, start: launch };
    } else {
      entry = { name, process: undefined, url: fillTemplate(service.url!, values, `${where}.url`).replace(/\/+$/, ''), start: undefined };
    }
    this.started.push(entry);
    const audit = this.audit;
    this.targets[name] = new DescribedTarget(name, this.description.name, service, {
      url: entry.url,
      audit: () => audit,
      lockUrl,
      restart: async (shape) => {
        if (!entry.start) throw new Error(`${where}: cannot restart a service the suite did not start`);
        await entry.process?.stop();
        entry.process = await entry.start(shape);
      },
    });
  }
}
