import type { Outcome } from '../clients/outcome';

export interface TrackedOperation {
  /** The scenario's own number for the request, from 1 in the order they were sent. */
  readonly id: number;
  readonly label: string;
  /** The service it was sent to (undefined: the caller did not say). */
  readonly service: string | undefined;
  readonly startedAt: number;
  readonly result: Promise<Outcome>;
  outcome: Outcome | undefined;
}

/** One entry of the answer ledger: what came back for request `id`, or that its sending threw. */
export interface LedgerEntry {
  id: number;
  outcome?: Outcome;
  threw?: string;
}

/** The ledger shared by a scenario's Operations and their per-service views. */
class Ledger {
  readonly tracked: TrackedOperation[] = [];
  /** Answers in the order they came, by request id: matched against `tracked` by the accounting. */
  readonly answers: LedgerEntry[] = [];
  nextId = 1;
}

/**
 * The requests a scenario has in flight in the background (holders, the extra request, ...).
 * Nothing is fire-and-forget: the After hook waits for every one, and the accounting sees them all.
 * Each request gets an id when it is sent, and its answer is written to a ledger under that id, so
 * the accounting can match what was sent with what came back instead of counting one list twice.
 */
export class Operations {
  constructor(
    private readonly ledger = new Ledger(),
    private readonly service?: string,
  ) {}

  /** The same operations, with every request started through the view marked as sent to `service`. */
  forService(service: string): Operations {
    return new Operations(this.ledger, service);
  }

  start(label: string, run: () => Promise<Outcome>): TrackedOperation {
    const id = this.ledger.nextId++;
    const startedAt = Date.now();
    const result = run();
    const operation: TrackedOperation = { id, label, service: this.service, startedAt, result, outcome: undefined };
    result.then(
      (outcome) => {
        operation.outcome = outcome;
        this.ledger.answers.push({ id, outcome });
      },
      (error: unknown) => this.ledger.answers.push({ id, threw: String(error) }),
    );
    this.ledger.tracked.push(operation);
    return operation;
  }

  labelled(label: string): TrackedOperation[] {
    return this.ledger.tracked.filter((op) => op.label === label);
  }

  latest(label: string): TrackedOperation {
    const operation = this.labelled(label).at(-1);
    if (!operation) throw new Error(`no "${label}" operation was started in this scenario`);
    return operation;
  }

  /** Every operation started so far, in the order they were sent. */
  all(): readonly TrackedOperation[] {
    return [...this.ledger.tracked];
  }

  /** The answers written to the ledger so far, in the order they came. */
  ledgerEntries(): readonly LedgerEntry[] {
    return [...this.ledger.answers];
  }

  /** Waits until every operation started so far has its answer. */
  async settled(label?: string): Promise<Outcome[]> {
    return Promise.all((label ? this.labelled(label) : this.ledger.tracked).map((op) => op.result));
  }

  /**
   * Waits until every operation started so far has its answer or a failure of its own (one that
   * threw instead of answering), so a check can name it instead of failing on the first.
   */
  async allSettled(): Promise<void> {
    await Promise.allSettled(this.ledger.tracked.map((op) => op.result));
  }

  /** Every operation answered so far, with its label. */
  answered(): Array<{ label: string; outcome: Outcome }> {
    return this.ledger.tracked.flatMap((op) => (op.outcome ? [{ label: op.label, outcome: op.outcome }] : []));
  }

  get pending(): number {
    return this.ledger.tracked.filter((op) => op.outcome === undefined).length;
  }
}
