import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Runs callbacks after each garbage collection, through one shared PerformanceObserver of 'gc'
 * entries (Node delivers them in a task shortly after the collection). The pools use it to look
 * for handles that a collection cleared (WeakRef.deref() === undefined): a leak found right after
 * the collection that found it, as a FinalizationRegistry would, at a fraction of its cost per
 * checkout. prom-client's default metrics observe 'gc' too, so V8's GC callbacks are installed
 * in a service whether or not a pool watches.
 */
const callbacks = new Set<() => void>();
let observer: PerformanceObserver | undefined;

/** Calls `callback` after every garbage collection until the returned function is called. */
export function afterEachGc(callback: () => void): () => void {
  callbacks.add(callback);
  if (!observer) {
    observer = new PerformanceObserver(() => {
      for (const each of [...callbacks]) each();
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return () => {
    callbacks.delete(callback);
    if (callbacks.size === 0 && observer) {
      observer.disconnect();
      observer = undefined;
    }
  };
}
