import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface ProcessSpec {
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  cwd: string;
  /** Set on top of this process's environment; an undefined value removes an inherited variable. */
  env: Record<string, string | undefined>;
  /**
   * When it is ready: a line of its output (the first group, if any, is kept as `announced`), or a
   * check the caller polls (a request that answers). Until then start() waits, up to `startTimeoutMs`.
   */
  ready: { line: RegExp } | { check: () => Promise<boolean>; everyMs?: number };
  startTimeoutMs?: number;
  /** Lines of output kept for recentOutput() (default 200; Infinity keeps all). */
  outputLinesKept?: number;
  /**
   * Runs it in a process group of its own and signals the whole group: for a command that starts
   * the real program as its child (`npm start`, `sh -c …`), which would otherwise outlive it.
   */
  ownProcessGroup?: boolean;
  /** Also appends every line of its output to this file (created, with its folder, if missing). */
  outputFile?: string;
}

const OUTPUT_LINES_KEPT = 200;

/** Why a process did not become ready: its last line, and its exit code when it ended. */
export class ProcessStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null | undefined,
  ) {
    super(message);
  }
}

/**
 * A program run as a child process: started and awaited until it is ready, its output kept, and
 * stopped with SIGTERM (SIGKILL if it does not go in time). The one place the testkit spawns.
 */
export class ManagedProcess {
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  /** What the ready line announced (its first group), e.g. the URL. */
  announced: string | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly output: string[],
    private readonly ownProcessGroup: boolean,
  ) {
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : code);
        resolve();
      }),
    );
  }

  static async start(spec: ProcessSpec): Promise<ManagedProcess> {
    const [program, ...args] = spec.command;
    if (!program) throw new Error(`${spec.name}: no command to run`);
    const child = spawn(program, args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: spec.ownProcessGroup === true });
    const output: string[] = [];
    const kept = spec.outputLinesKept ?? OUTPUT_LINES_KEPT;
    if (spec.outputFile) mkdirSync(path.dirname(spec.outputFile), { recursive: true });
    const keep = (line: string): void => {
      if (spec.outputFile) appendFileSync(spec.outputFile, `${line}\n`);
      output.push(line);
      if (output.length > kept) output.shift();
    };
    child.on('error', (error) => keep(`${spec.name}: ${error.message}`));
    readline.createInterface({ input: child.stderr! }).on('line', keep);
    const stdout = readline.createInterface({ input: child.stdout! });
    stdout.on('line', keep);
    const managed = new ManagedProcess(spec.name, child, output, spec.ownProcessGroup === true);
    const timeoutMs = spec.startTimeoutMs ?? 30_000;
    const lastLine = (): string => output.filter((l) => l.trim()).at(-1) ?? `${spec.name} exited with code ${managed.exitCode}`;
    try {
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (error?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        const timer = setTimeout(() => finish(new ProcessStartError(`${spec.name} was not ready within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`, undefined)), timeoutMs);
        // The program's own last line says why it ended (e.g. an invalid configuration value); the exit code rides along.
        void managed.exited.then(() => finish(new ProcessStartError(lastLine(), managed.exitCode)));
        if ('line' in spec.ready) {
          const pattern = spec.ready.line;
          stdout.on('line', (line) => {
            const match = pattern.exec(line);
            if (!match) return;
            managed.announced = match[1];
            finish();
          });
        } else {
          const { check, everyMs = 100 } = spec.ready;
          void (async () => {
            while (!settled) {
              if (await check().catch(() => false)) return finish();
              await new Promise((r) => setTimeout(r, everyMs));
            }
          })();
        }
      });
    } catch (error) {
      managed.signal('SIGKILL');
      throw error;
    }
    return managed;
  }

  /** Signals the program (and its process group, when it has its own: what it started dies with it). */
  private signal(signal: NodeJS.Signals): void {
    if (!this.ownProcessGroup || this.child.pid === undefined) {
      this.child.kill(signal);
      return;
    }
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is gone already.
    }
  }

  /** The operating system's process id (undefined if it never started). */
  get pid(): number | undefined {
    return this.child.pid;
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

  /** SIGTERM (a graceful close, for a program that has one), SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 8_000): Promise<void> {
    if (this.isRunning) {
      this.signal('SIGTERM');
      const killer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(killer);
    }
    // A child that ignored the group's SIGTERM, or outlived a leader that died on its own.
    if (this.ownProcessGroup) this.signal('SIGKILL');
  }
}
