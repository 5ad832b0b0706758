/**
 * Waiting is polling with a deadline, never a bare sleep: retry `check` every `every` ms until it
 * stops throwing, or rethrow its last error when `within` ms have passed.
 */

/** Deadlines in one place. Generous where a busy 2-core machine needs it. */
export const WAIT = {
  poll: 50,
  /** Something the system should show almost at once (a count after a request started). */
  shortly: 10_000,
  /** Connections closing, counts settling, health re-assessing. */
  settle: 20_000,
} as const;

export async function eventually<T>(check: () => Promise<T> | T, options: { within?: number; every?: number } = {}): Promise<T> {
  const within = options.within ?? WAIT.shortly;
  const every = options.every ?? WAIT.poll;
  const deadline = Date.now() + within;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) {
        if (error instanceof Error) error.message = `still failing after ${within} ms: ${error.message}`;
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
