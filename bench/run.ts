import { parseArgs } from 'node:util';
import { withBenchSystem } from './bench-system';
import { measureFloodRefusal } from './flood-refusal';
import { measurePoolOverhead } from './pool-overhead';
import { measureRateAtCapacity } from './rate-at-capacity';
import { measureRefusalLatency } from './refusal-latency';
import { buildResults, describeMachine, previousResults, renderTable, writeResults, type BenchDetails } from './report';
import { SEVEN_CASES, measureSuiteCost } from './suite-cost';
import { measureSustainableRate } from './sustainable-rate';

/*
 * npm run bench                  every part: pool overhead, open-loop refusal latency, the closed-loop flood
 *                                (a stress figure), sustainable rate (2C callers and exactly C), and the suite
 *                                cost of the seven cases with the quick profile, serial (about 6 minutes)
 * npm run bench -- --suite       the same, and the suite cost with the default profile too (the plan's real
 *                                durations: about 5 minutes more)
 * npm run bench -- --only refusal,rate         some parts only
 * npm run bench -- --only suite --tags @tc1    the suite cost of some scenarios only
 * Parts: pool, refusal, flood, rate, suite. Results: bench/results/<YYYY-MM-DD>.json (parts not run keep that
 * day's earlier figures).
 */

const PARTS = ['pool', 'refusal', 'flood', 'rate', 'suite'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [--suite] [--only ${PARTS.join(',')}] [--tags CUCUMBER_TAG_EXPRESSION]`;

function chosenParts(): { parts: Set<Part>; tags: string | undefined; fullSuite: boolean } {
  const { values } = parseArgs({
    options: {
      suite: { type: 'boolean', default: false },
      only: { type: 'string' },
      tags: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const requested = values.only ? values.only.split(',').map((p) => p.trim()) : [...PARTS];
  const unknown = requested.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(',')} is not allowed: expected parts from ${PARTS.join(', ')}\n${USAGE}`);
  return { parts: new Set(requested as Part[]), tags: values.tags, fullSuite: values.suite ?? false };
}

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

async function main(): Promise<void> {
  const { parts, tags, fullSuite } = chosenParts();
  const date = today();
  const previous = previousResults(date);
  const details: BenchDetails = { ...previous?.details };
  const stamp = () => new Date().toISOString();
  let postgres = undefined as string | undefined;
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

  if (parts.has('pool') || parts.has('refusal') || parts.has('flood') || parts.has('rate')) {
    await withBenchSystem(async (system) => {
      postgres = system.postgresVersion;
      if (parts.has('pool')) {
        log('pool overhead: AsyncConnectionPool vs raw pg.Pool, 64 callers on capacity 10, alternating rounds');
        details.poolOverhead = { ...(await measurePoolOverhead(system.adminUrl, { callers: 64, capacity: 10, roundSeconds: 0.5, roundsEach: 30 })), measuredAt: stamp() };
      }
      if (parts.has('refusal')) {
        log('refusal latency, open loop: pool 10+0 held, queue 10 full, GET /api/work/fast at 10 x C/T = 1000/s for 10 s');
        details.refusalLatency = {
          ...(await measureRefusalLatency(system.backend, {
            capacity: 10,
            holdSeconds: 0.1,
            rateFactor: 10,
            maxQueue: 10,
            durationSeconds: 10,
            warmUpSeconds: 1,
            connections: 64,
            lateThresholdMs: 1,
            healthRatePerSec: 20,
          })),
          measuredAt: stamp(),
        };
      }
      if (parts.has('flood')) {
        log('flood refusal: pool 5+0 held, queue 5, /api/work/fast flooded by 50 callers for 10 s');
        details.floodRefusal = {
          ...(await measureFloodRefusal(system.backend, { capacity: 5, maxQueue: 5, poolTimeoutSeconds: 2, floodFactor: 10, floodSeconds: 10, healthSamplesPerSec: 20 })),
          measuredAt: stamp(),
        };
      }
      if (parts.has('rate')) {
        log('sustainable rate: C=10, T=0.1 s, 20 closed-loop callers for 10 s');
        details.sustainableRate = {
          ...(await measureSustainableRate(system.backend, { capacity: 10, holdSeconds: 0.1, callerFactor: 2, durationSeconds: 10 })),
          measuredAt: stamp(),
        };
        log('sustainable rate at exactly C: C=10, T=0.1 s, 10 closed-loop callers for 10 s, each request timed in parts');
        details.rateAtCapacity = {
          ...(await measureRateAtCapacity(system.backend, system.adminUrl, { capacity: 10, holdSeconds: 0.1, durationSeconds: 10, warmUpSeconds: 1 })),
          measuredAt: stamp(),
        };
      }
    });
  }
  if (parts.has('suite')) {
    const profiles = fullSuite ? ['quick', 'default'] : ['quick'];
    log(`suite cost: cucumber-js --tags "${tags ?? SEVEN_CASES}", serial, profile ${profiles.join(' then ')}`);
    details.suiteCost = { ...(await measureSuiteCost({ tags: tags ?? SEVEN_CASES, profiles })), measuredAt: stamp() };
  }

  const results = buildResults(date, describeMachine(postgres ?? previous?.machine.postgres), details);
  const file = await writeResults(results);
  console.log(renderTable(results));
  console.log(`\nwritten: ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
