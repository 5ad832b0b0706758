/**
 * A one-line progress display for long load phases: which phase runs and how long is left. Shown
 * only to a person at a terminal: when stderr is a TTY and CI is not set. In CI (CI=true) or with
 * output piped to a file it writes nothing, so logs stay clean.
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

/** How often the line is redrawn at most. */
const REDRAW_EVERY_MS = 250;

export class Progress {
  private lastDrawn = 0;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    readonly enabled: boolean = Progress.wanted(stream, process.env),
  ) {}

  /** A terminal, and not CI. */
  static wanted(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
    const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
    return stream.isTTY === true && !ci;
  }

  /** Redraws the line (throttled), unless `force`. */
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDrawn < REDRAW_EVERY_MS) return;
    this.lastDrawn = now;
    const width = Math.max(20, (this.stream.columns ?? 100) - 1);
    this.stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }

  /** Clears the line, so the next output (cucumber's own) starts clean. */
  done(): void {
    if (!this.enabled || !this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** "1:05" for 65 000 ms. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
