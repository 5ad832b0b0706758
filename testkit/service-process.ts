import path from 'node:path';
import { ManagedProcess, ProcessStartError } from './managed-process';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface ServiceSpec {
  name: string;
  /** Entry file relative to the repository root, e.g. services/backend/main.ts. */
  entry: string;
  /** Set on top of this process's environment; an undefined value removes an inherited variable. */
  env: Record<string, string | undefined>;
  startTimeoutMs?: number;
  /** Lines of output kept for recentOutput() (default 200; Infinity keeps all, for a test that searches all of it). */
  outputLinesKept?: number;
}

/** Our services announce `<service> listening on <url>` once they listen. */
const LISTENING = /listening on (http:\/\/\S+)/;

/**
 * One of this repository's services running as a child process (through ts-node), ready once it
 * announces its URL. It exits by itself when this process goes away (EXIT_WITH_PARENT), so even a
 * killed suite leaves no service behind.
 */
export class ServiceProcess {
  private constructor(
    private readonly process: ManagedProcess,
    readonly url: string,
  ) {}

  static async start(spec: ServiceSpec): Promise<ServiceProcess> {
    try {
      const process = await ManagedProcess.start({
        name: spec.name,
        command: [globalThis.process.execPath, '--expose-gc', '--require', 'ts-node/register/transpile-only', spec.entry],
        cwd: REPO_ROOT,
        env: { ...spec.env, EXIT_WITH_PARENT: 'on', TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') },
        ready: { line: LISTENING },
        ...(spec.startTimeoutMs === undefined ? {} : { startTimeoutMs: spec.startTimeoutMs }),
        ...(spec.outputLinesKept === undefined ? {} : { outputLinesKept: spec.outputLinesKept }),
      });
      return new ServiceProcess(process, process.announced!);
    } catch (error) {
      // The service's own last line says why (e.g. an invalid configuration value); the exit code rides along.
      if (error instanceof ProcessStartError) throw Object.assign(new Error(error.message), { exitCode: error.exitCode });
      throw error;
    }
  }

  get name(): string {
    return this.process.name;
  }

  get isRunning(): boolean {
    return this.process.isRunning;
  }

  /** The exit code once it has exited (null: ended by a signal); undefined while it runs. */
  get exitedWith(): number | null | undefined {
    return this.process.exitedWith;
  }

  recentOutput(lines = 30): string {
    return this.process.recentOutput(lines);
  }

  /** SIGTERM (graceful: in-flight requests finish, pool closes), SIGKILL if it takes too long. */
  stop(graceMs = 8_000): Promise<void> {
    return this.process.stop(graceMs);
  }
}
