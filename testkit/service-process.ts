import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

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

const LISTENING = /listening on (http:\/\/\S+)/;
const OUTPUT_LINES_KEPT = 200;

/**
 * A service running as a child process. It announces its URL on stdout; until then start() waits
 * (with a deadline). The child exits by itself when this process goes away (EXIT_WITH_PARENT),
 * so even a killed suite leaves no service behind.
 */
export class ServiceProcess {
  private readonly output: string[] = [];
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly url: string,
    output: string[],
    exited: Promise<void>,
  ) {
    this.output = output;
    this.exited = exited;
  }

  static start(spec: ServiceSpec): Promise<ServiceProcess> {
    const child = spawn(process.execPath, ['--expose-gc', '--require', 'ts-node/register/transpile-only', spec.entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.env, EXIT_WITH_PARENT: 'on', TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (line: string): void => {
      output.push(line);
      if (output.length > (spec.outputLinesKept ?? OUTPUT_LINES_KEPT)) output.shift();
    };
    readline.createInterface({ input: child.stderr! }).on('line', keep);
    const stdout = readline.createInterface({ input: child.stdout! });
    stdout.on('line', keep);
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );

    return new Promise<ServiceProcess>((resolve, reject) => {
      const timeoutMs = spec.startTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${spec.name} did not announce its URL within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`));
      }, timeoutMs);
      stdout.on('line', (line) => {
        const match = LISTENING.exec(line);
        if (!match?.[1]) return;
        clearTimeout(timer);
        const service = new ServiceProcess(spec.name, child, match[1], output, exited);
        void exited.then(() => {
          service.exitCode = exitCode;
        });
        resolve(service);
      });
      void exited.then(() => {
        clearTimeout(timer);
        // The service's own last line says why (e.g. an invalid configuration value); the exit code rides along.
        reject(Object.assign(new Error(output.filter((l) => l.trim()).at(-1) ?? `${spec.name} exited with code ${exitCode}`), { exitCode }));
      });
    });
  }

  get isRunning(): boolean {
    return this.exitCode === undefined;
  }

  /** The exit code once it has exited (null: ended by a signal); undefined while it runs. */
  get exitedWith(): number | null | undefined {
    return this.exitCode;
  }

  recentOutput(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  /** SIGTERM (graceful: in-flight requests finish, pool closes), SIGKILL if it takes too long. */
  async stop(graceMs = 8_000): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}
