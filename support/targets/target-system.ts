import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServiceName } from '../../env/service-settings';
import { freePort } from '../../testkit/free-port';
import { ManagedProcess, ProcessStartError } from '../../testkit/managed-process';
import { DatabaseAudit } from '../clients/database-audit';
import { sendRaw } from '../clients/raw-http';
import { databaseUrl, provisionTargetDatabase, verifyLockHolds } from '../clients/target-database';
import type { Platform } from '../environment/deployment';
import { Duration } from '../duration';
import { REQUEST } from '../timeouts';
import { DescribedTarget } from './described-target';
import type { ServiceDescription, TargetDescription } from './schema';
import { settingValues, startSettingsOf, type ScenarioSettings } from './settings';
import type { SpawnedInstance } from './service-target';
import type { TemplateValues } from './target-http';
import { fillTemplate, type TemplateValue } from './templates';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The interpreter {{python}} names: Debian's, where the packages the examples need are installed. */
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** A service the suite started: how to start it (again, with other settings, or another instance beside it). */
interface Started {
  name: ServiceName;
  process: ManagedProcess | undefined;
  url: string;
  launch: ((settings: ScenarioSettings, env?: Record<string, string>, port?: number) => Promise<ManagedProcess>) | undefined;
  extras: ManagedProcess[];
}

/**
 * The system a target description describes, on the PostgreSQL the environment gives: for each
 * service, its own role and database made there (with its setup SQL) and its process started with
 * the file's placeholders filled in (and started again whenever a restart target needs other
 * settings) — or, where the environment says it already runs, found there. Before the run, what
 * the file says the suite can read is read once (a mistake in the file stops the run, naming the
 * field, and leaves nothing running). Stopped, all of it, at the end of the run.
 */
export class TargetSystem {
  readonly targets: Partial<Record<ServiceName, DescribedTarget>> = {};
  /** Notes for the run's start (abilities switched off on this deployment). */
  readonly notes: string[] = [];
  private readonly started: Started[] = [];
  private readonly secrets = new Map<string, string>();
  private audit: DatabaseAudit | undefined;

  private constructor(
    readonly description: TargetDescription,
    private readonly file: string,
    readonly platform: Platform,
  ) {}

  /** Starts every service of the description (auth first: the backend may name its URL). */
  static async start(description: TargetDescription, file: string, platform: Platform): Promise<TargetSystem> {
    const system = new TargetSystem(description, file, platform);
    try {
      const order: ServiceName[] = description.services.auth ? ['auth', 'backend'] : ['backend'];
      for (const name of order) await system.startService(name, description.services[name]!);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** The superuser URL the audit uses: the environment's, or the one a running service's file names. */
  get auditDatabaseUrl(): string | undefined {
    return this.platform.adminUrl ?? Object.values(this.description.services).find((s) => s?.database.adminUrl)?.database.adminUrl;
  }

  /** The process id of a service the suite started (for a test that makes it disappear). */
  pidOf(name: ServiceName): number | undefined {
    return this.started.find((s) => s.name === name)?.process?.pid;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.targets).map((target) => target!.releaseScenario()));
    await Promise.all(this.started.flatMap((service) => [...service.extras, service.process]).map((p) => p?.stop()));
    await this.audit?.close();
    this.audit = undefined;
  }

  /** Every database the description's services connect to. */
  databaseNames(): string[] {
    const values = { prefix: this.platform.dbPrefix };
    return Object.values(this.description.services).map((service) => fillTemplate(service!.database.name ?? service!.database.role, values, 'database.name'));
  }

  /** A secret of the run ({{secret:name}}), for a tool that speaks a service's own admin API (the bench, the stack). */
  secretValue(name: string): string {
    return this.secret(name);
  }

  private secret(name: string): string {
    const given = this.platform.secrets[name];
    if (given !== undefined) return given;
    if (!this.secrets.has(name)) this.secrets.set(name, randomBytes(16).toString('hex'));
    return this.secrets.get(name)!;
  }

  /** A path of the description: relative to its own folder, or to the repository with {{repo}}. */
  private resolvePath(text: string, values: TemplateValues, where: string): string {
    return path.resolve(path.dirname(this.file), fillTemplate(text, values, where));
  }

  private async startService(name: ServiceName, service: ServiceDescription): Promise<void> {
    const where = `${this.description.name}: services.${name}`;
    const values: Record<string, TemplateValue | undefined> = {
      host: '127.0.0.1',
      node: process.execPath,
      python: PYTHON,
      repo: REPO_ROOT,
      targetDir: path.dirname(this.file),
      prefix: this.platform.dbPrefix,
      secret: (argument) => this.secret(argument ?? 'default'),
      // {{env:NAME}}, or {{env:NAME|default}} for a variable that may be unset.
      env: (argument) => {
        const [variable = '', fallback] = (argument ?? '').split('|');
        const value = process.env[variable] ?? fallback;
        if (value === undefined) throw new Error(`${where}: {{env:${variable}}} is not set in the environment (give a default: {{env:${variable}|…}})`);
        return value;
      },
      url: (argument) => {
        const other = this.started.find((s) => s.name === argument);
        if (!other) throw new Error(`${where}: {{url:${argument ?? ''}}} names no service started before this one`);
        return other.url;
      },
    };
    const role = fillTemplate(service.database.role, values, `${where}.database.role`);
    const databaseName = service.database.name ? fillTemplate(service.database.name, values, `${where}.database.name`) : role;
    values.role = role;
    values.database = databaseName;
    const adminUrl = service.database.adminUrl ? fillTemplate(service.database.adminUrl, values, `${where}.database.adminUrl`) : this.platform.adminUrl;
    values.adminUrl = adminUrl;
    const running = this.platform.running[name] ?? (service.url ? fillTemplate(service.url, values, `${where}.url`) : undefined);
    if (!running && !adminUrl) throw new Error(`${where}: the run gives no PostgreSQL to start it on (TEST_ENV=${this.platform.environment}) and the file names none (database.adminUrl)`);
    if (!running && adminUrl) {
      values.databaseUrl = await provisionTargetDatabase(
        adminUrl,
        { role, password: this.secret(`database:${role}`), connectionLimit: service.database.connectionLimit },
        service.database.setup.map((file, index) => this.resolvePath(file, values, `${where}.database.setup[${index}]`)),
        { role, database: databaseName },
      );
    }
    // The audit counts connections in the description's databases only: on a shared server others may be named alike.
    if (adminUrl) this.audit ??= await DatabaseAudit.connect(adminUrl, this.databaseNames());
    const entry = running ? { name, process: undefined, url: running.replace(/\/+$/, ''), launch: undefined, extras: [] } : await this.launchService(name, service, values, where);
    this.started.push(entry);
    const audit = this.audit;
    const lockUrl = adminUrl ? databaseUrl(adminUrl, { database: databaseName }) : undefined;
    const target: DescribedTarget = new DescribedTarget(name, this.description.name, service, {
      url: entry.url,
      values: () => values,
      audit: () => {
        if (!audit) throw new Error(`${where}: no database access for the audit (set DATABASE_URL, or database.adminUrl)`);
        return audit;
      },
      lockUrl,
      database: { role, name: databaseName },
      restart: async (settings) => {
        if (!entry.launch) throw new Error(`${where}: cannot restart a service the suite did not start`);
        await entry.process?.stop();
        entry.process = await entry.launch(settings);
      },
      spawn: entry.launch ? (env) => this.spawn(entry, target, env) : undefined,
    });
    this.targets[name] = target;
    await this.checkDescribedReads(where, service, target, lockUrl);
  }

  /** Reads once what the file says the suite can read, and takes the hold's lock once: a mistake in the file is named before any scenario. */
  private async checkDescribedReads(where: string, service: ServiceDescription, target: DescribedTarget, lockUrl: string | undefined): Promise<void> {
    this.notes.push(...(await target.checkDescribedReads(where)));
    if (service.hold.via === 'database-lock' && lockUrl && this.audit) {
      await verifyLockHolds(lockUrl, service.hold.lock, this.audit, service.database.applicationName, () => target.sendRequest(), `${where}.hold.lock`);
    }
  }

  private async launchService(name: ServiceName, service: ServiceDescription, values: Record<string, TemplateValue | undefined>, where: string): Promise<Started> {
    const start = service.start;
    if (!start) throw new Error(`${where}: needs start (the suite starts it) or url (it is already running)`);
    const port = await freePort();
    values.port = port;
    const url = `http://127.0.0.1:${port}`;
    const cwd = start.cwd ? this.resolvePath(start.cwd, values, `${where}.start.cwd`) : REPO_ROOT;
    const outputFile = typeof start.output === 'object' ? this.resolvePath(start.output.file, values, `${where}.start.output.file`) : undefined;
    const launch = async (settings: ScenarioSettings, extraEnv: Record<string, string> = {}, onPort = port): Promise<ManagedProcess> => {
      const filled: Record<string, TemplateValue | undefined> = { ...values, ...settingValues(settings), port: onPort };
      const instanceUrl = `http://127.0.0.1:${onPort}`;
      return ManagedProcess.start({
        name: `${this.description.name} ${name}`,
        command: start.command.map((part) => fillTemplate(part, filled, `${where}.start.command`)),
        cwd,
        env: { ...Object.fromEntries(Object.entries(start.env).map(([key, value]) => [key, fillTemplate(value, filled, `${where}.start.env.${key}`)])), ...extraEnv },
        ready: {
          check: async () => {
            const raw = start.ready.request;
            const answer = await sendRaw(instanceUrl, { method: raw.method, path: raw.path, headers: raw.headers, ...(raw.body === undefined ? {} : { body: raw.body }) }, REQUEST.livenessProbe);
            return start.ready.status.includes(answer.status);
          },
          everyMs: 100,
        },
        startTimeoutMs: Duration.parse(start.readyWithin).ms,
        // A described command may be a wrapper (npm start, sh -c): what it starts is stopped with it.
        ownProcessGroup: true,
        ...(outputFile ? { outputFile } : {}),
      });
    };
    const process = await launch(startSettingsOf(service.settings)).catch((error: unknown) => {
      throw new Error(`${where}.start: the service did not start${error instanceof ProcessStartError && error.exitCode !== undefined ? ` (exit ${error.exitCode})` : ''}: ${(error as Error).message}`);
    });
    return { name, process, url, launch, extras: [] };
  }

  /** Another process of a started service, with some of its environment changed, on a port of its own (stopped with the run if the caller does not). */
  private async spawn(entry: Started, target: DescribedTarget, env: Record<string, string>): Promise<SpawnedInstance> {
    const port = await freePort();
    try {
      const instance = await entry.launch!(target.settings, env, port);
      entry.extras.push(instance);
      const url = `http://127.0.0.1:${port}`;
      return {
        url,
        pid: instance.pid,
        get isRunning() {
          return instance.isRunning;
        },
        get exitedWith() {
          return instance.exitedWith;
        },
        recentOutput: (lines) => instance.recentOutput(lines),
        stop: () => instance.stop(),
        ...target.instanceAt(url),
      };
    } catch (error) {
      // The program's own last line says why it did not start; the exit code rides along.
      if (error instanceof ProcessStartError) throw Object.assign(new Error(error.message), { exitCode: error.exitCode });
      throw error;
    }
  }
}
