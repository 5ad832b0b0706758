import { SHELL_PREFIX, settingsOf, type ServiceName } from '../../env/service-settings';

/**
 * The settings one service gets from the shell that starts the whole system (the suite, the stack,
 * the docker target): every row of env/service-settings.ts the service reads, except the wiring the
 * starter sets itself, under its shell name — AUTH_POOL_SIZE reaches the auth service as POOL_SIZE.
 * A variable not set in the shell is left out, so the service uses its own default.
 */
export function passedThrough(service: ServiceName, shellEnv: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const row of settingsOf(service)) {
    if ('wiring' in row && row.wiring) continue;
    const value = shellEnv[`${SHELL_PREFIX[service]}${row.variable}`];
    if (value !== undefined && value !== '') env[row.variable] = value;
  }
  return env;
}

/**
 * A child process inherits its parent's environment: every setting the service reads that the
 * starter does not give it is named here as undefined, so the shell's POOL_SIZE meant for the
 * backend cannot reach the auth service by inheritance (spawn drops undefined values).
 */
export function withoutInherited(service: ServiceName, env: Record<string, string>): Record<string, string | undefined> {
  const cleared: Record<string, string | undefined> = Object.fromEntries(settingsOf(service).map((row) => [row.variable, undefined]));
  return { ...cleared, ...env };
}

/** The shell names a run reads for the services (POOL_SIZE, AUTH_POOL_SIZE, …), for documentation and checks. */
export function shellVariables(service: ServiceName): string[] {
  return settingsOf(service)
    .filter((row) => !('wiring' in row && row.wiring))
    .map((row) => `${SHELL_PREFIX[service]}${row.variable}`);
}
