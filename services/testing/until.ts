/** Polls `check` until it holds, or fails after `within` ms: tests wait on conditions, never on sleeps. */
export async function until(check: () => boolean | Promise<boolean>, within = 5000, every = 20): Promise<void> {
  const deadline = Date.now() + within;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${within} ms`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
