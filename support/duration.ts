/**
 * A length of time that carries its unit: made from the Gherkin's words ("5 seconds", "200
 * milliseconds", "2 minutes"), read as milliseconds or seconds only where a number must leave the
 * suite (a timer, a request parameter, the admin API's `poolTimeoutSeconds`). No bare number of
 * unknown unit travels between the step text and the pool.
 */
export class Duration {
  private constructor(readonly ms: number) {
    if (Number.isNaN(ms) || ms < 0) throw new Error(`a duration of ${ms} ms is not allowed: expected a length of time, 0 or more`);
  }

  /** No bound at all: a pool that lets a request wait for ever. */
  static readonly UNBOUNDED = new Duration(Number.POSITIVE_INFINITY);

  static ofMilliseconds(ms: number): Duration {
    return new Duration(ms);
  }

  static ofSeconds(seconds: number): Duration {
    return new Duration(seconds * 1000);
  }

  static ofMinutes(minutes: number): Duration {
    return new Duration(minutes * 60_000);
  }

  /** "3 seconds", "1.5 seconds", "1 second", "2 minutes", "500 milliseconds". */
  static parse(text: string): Duration {
    const match = /^(\d+(?:\.\d+)?) (millisecond|second|minute)s?$/.exec(text.trim());
    if (!match) throw new Error(`"${text}" is not a duration: expected e.g. "5 seconds", "200 milliseconds" or "2 minutes"`);
    const amount = Number(match[1]);
    return match[2] === 'millisecond' ? Duration.ofMilliseconds(amount) : match[2] === 'second' ? Duration.ofSeconds(amount) : Duration.ofMinutes(amount);
  }

  get seconds(): number {
    return this.ms / 1000;
  }

  times(factor: number): Duration {
    return new Duration(this.ms * factor);
  }

  plus(other: Duration): Duration {
    return new Duration(this.ms + other.ms);
  }

  get isBounded(): boolean {
    return Number.isFinite(this.ms);
  }

  toString(): string {
    if (!this.isBounded) return 'unbounded';
    if (this.ms < 1000) return `${this.ms} ms`;
    if (this.ms >= 120_000 && this.ms % 60_000 === 0) return `${this.ms / 60_000} min`;
    return `${this.seconds} s`;
  }
}
