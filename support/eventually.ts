import { NotOffered } from './targets/not-offered';
import { WAIT } from './timeouts';

/**
 * Waiting is polling with a deadline, never a bare sleep: retry `check` every `every` ms until it
 * stops throwing, or rethrow its last error when `within` ms have passed.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { within?: number; every?: number } = {}): Promise<T> {
  const within = options.within ?? WAIT.shortly;
  const every = options.every ?? WAIT.poll;
  const deadline = Date.now() + within;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      // What the target cannot give does not come by waiting.
      if (error instanceof NotOffered) throw error;
      if (Date.now() >= deadline) {
        if (error instanceof Error) error.message = `still failing after ${within} ms: ${error.message}`;
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * Polls `check` like eventually(), but only while `still()` holds: once it no longer does (the
 * operations whose moment is judged have ended), the last failure stands — a check of "while every
 * holder still holds" must not pass on a reading taken after they let go.
 */
export async function eventuallyWhile<T>(still: () => boolean, check: () => Promise<T> | T, options: { within?: number; every?: number } = {}): Promise<T> {
  let failure: unknown;
  const judged = await eventually(async () => {
    if (failure !== undefined && !still()) return { failure };
    try {
      return { value: await check() };
    } catch (error) {
      failure = error;
      throw error;
    }
  }, options);
  if ('failure' in judged) throw judged.failure;
  return judged.value;
}
