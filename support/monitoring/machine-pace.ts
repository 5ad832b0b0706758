import { randomBytes, scrypt } from 'node:crypto';

/**
 * A fixed piece of CPU work (one scrypt hash at the cost a password check usually pays: about
 * 30 ms on this machine when it is quiet), timed in the suite's own process: how fast the machine
 * is right now. A comparison of a service's speed at two moments reads its pace beside the
 * service's answers, so that another program taking the CPU in between (a compiler, a second
 * test run) is not mistaken for the service slowing down. It goes through libuv's thread pool as
 * a service's hashing does, so it queues behind the same kind of contention.
 */
export function machinePace(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) =>
    scrypt('pace', randomBytes(16), 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error) => (error ? reject(error) : resolve(performance.now() - started))),
  );
}
