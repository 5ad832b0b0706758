import type { FastifyInstance } from 'fastify';
import { ConfigError, readSettings } from './settings';

/**
 * Runs a service: build (which validates configuration), listen, announce the URL on one line,
 * and close gracefully on SIGTERM/SIGINT — or when the parent that spawned it goes away.
 * A bad configuration value ends the process with one line naming it, and exit code 2.
 */
export async function runService(service: string, build: () => Promise<{ app: FastifyInstance; host: string; port: number; close: () => Promise<void> }>): Promise<void> {
  let built: Awaited<ReturnType<typeof build>>;
  let exitWithParent: boolean;
  try {
    ({ exitWithParent } = readSettings(process.env, 'process'));
    built = await build();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { app, host, port, close } = built;
  let closing = false;
  const shutdown = async (why: string): Promise<void> => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${service}: shutting down (${why})\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await app.close();
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Spawned by the suite or the stack: when the parent's pipe closes, the parent is gone.
  if (exitWithParent) {
    process.stdin.on('end', () => void shutdown('parent exited'));
    process.stdin.resume();
  }
  const address = await app.listen({ host, port });
  process.stdout.write(`${service} listening on ${address}\n`);
}
