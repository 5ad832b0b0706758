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
import { METRIC_MAPS, histogramValue, parsePrometheusText, seriesValue, type MetricNameMap } from './metric-maps';
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

  /** The process id of a service the suite started (for a test that makes it disappear). */
  pidOf(name: ServiceName): number | undefined {
    return this.started.find((s) => s.name === name)?.process?.pid;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.targets).map((target) => target!.releaseScenario()));
    await Promise.all(this.started.map((service) => service.process?.stop()));
    await this.audit?.close();
    this.audit = undefined;
  }

  /**
   * Every series a Prometheus source names must be one the service exposes: a name the file gives
   * that is not there is a mistake in the file (stops the run, naming it); a name of a ready-made
   * map that is not there only means that figure is not offered (said once, on stderr).
   */
  private async checkMetricNames(name: ServiceName, service: ServiceDescription, url: string): Promise<void> {
    for (const [index, source] of service.state.entries()) {
      if (source.via !== 'prometheus') continue;
      const where = `services.${name}.state[${index}]`;
      const answer = await sendRaw(url, { method: 'GET', path: source.path }, REQUEST.livenessProbe);
      if (answer.status !== 200) throw new Error(`${this.description.name}: ${where}.path: GET ${source.path} answered ${answer.status || answer.error}, not a Prometheus exposition`);
      const samples = parsePrometheusText(String(answer.body));
      const names: MetricNameMap = typeof source.names === 'string' ? METRIC_MAPS[source.names as keyof typeof METRIC_MAPS] : source.names;
      // A histogram is named without its _bucket/_sum/_count suffixes.
      const exposed = (figure: string, spec: string) => (figure === 'waitSeconds' ? histogramValue(samples, spec, source.labels) : seriesValue(samples, spec, source.labels)) !== undefined;
      const missing = Object.entries(names).filter(([figure, spec]) => spec && !exposed(figure, spec));
      if (missing.length === 0) continue;
      const list = missing.map(([figure, spec]) => `${figure}: ${spec}`).join(', ');
      if (typeof source.names !== 'string') {
        const exposed = [...new Set(samples.map((s) => s.name))].filter((n) => !n.startsWith('nodejs_') && !n.startsWith('process_')).slice(0, 15).join(', ');
        throw new Error(`${this.description.name}: ${where}.names: not exposed by GET ${source.path}: ${list} (it exposes ${exposed || 'nothing'}…)`);
      }
      process.stderr.write(`${this.description.name}: ${name} does not expose ${list} (ready-made map "${source.names}"): checks that need them are not judged\n`);
    }
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
          // A described command may be a wrapper (npm start, sh -c): what it starts is stopped with it.
          ownProcessGroup: true,
        });
      };
      entry = { name, process: await launch(initialShape(service)), url, start: launch };
    } else {
      entry = { name, process: undefined, url: fillTemplate(service.url!, values, `${where}.url`).replace(/\/+$/, ''), start: undefined };
    }
    this.started.push(entry);
    await this.checkMetricNames(name, service, entry.url);
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
