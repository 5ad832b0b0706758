import type { PoolReading } from './service-target';

/** "json and prometheus": where a reading's figures came from, for a message. */
export function describeEvidence(evidence: PoolReading['evidence'] | undefined): string {
  const sources = [...new Set(Object.values(evidence ?? {}))];
  return sources.length === 0 ? 'no evidence yet' : sources.join(' and ');
}

/**
 * The channel of a service's own report, named by the service's own sources alone ("json",
 * "prometheus"): a figure the suite filled in (from its settings) does not make another channel, so
 * a report's series stays one series whichever figures a read happened to give.
 */
export function channelOf(evidence: PoolReading['evidence']): string {
  const own = [...new Set(Object.values(evidence).filter((source) => source === 'json' || source === 'prometheus'))];
  return own.length === 0 ? describeEvidence(evidence) : own.join(' and ');
}

/** "active, waiting from prometheus; capacity from the settings the suite set": each figure with its source. */
export function describeFigures(evidence: PoolReading['evidence']): string {
  const bySource = new Map<string, string[]>();
  for (const [figure, source] of Object.entries(evidence)) bySource.set(source!, [...(bySource.get(source!) ?? []), figure]);
  return [...bySource].map(([source, figures]) => `${figures.join(', ')} from ${source}`).join('; ') || 'no figures';
}
