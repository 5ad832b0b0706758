import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedDatabase } from '../testkit/embedded-database';
import { profileDuring, profileSummaryFile, renderTop, saveProfile, selfTimeByOwner, topSelfTime, type CpuProfile, type PoolProfileSummary } from './cpu-profile';
import { poolContenders, runRound, type Contender } from './pool-overhead';
import { RESULTS_DIR } from './results-dir';

/*
 * Where the pool layer's time goes, on bench/pool-overhead.ts's workload (64 closed-loop callers,
 * capacity 10, SELECT 1):
 *
 *   node --require ts-node/register/transpile-only bench/profile-pool.ts              async contender, 5 s
 *   … bench/profile-pool.ts --contender both --seconds 8                               raw pg.Pool too, for comparison
 *   … bench/profile-pool.ts --save before                                              also writes bench/results/pool-profile-before.json
 *   … bench/profile-pool.ts --file some.cpuprofile                                     only prints the top of a saved profile
 *
 * It starts its own embedded PostgreSQL, warms both contenders up, then samples only the measured
 * phase (node:inspector; see bench/cpu-profile.ts) and prints the top self-time entries, the time
 * per owner (package, repository folder, node core, GC) and the .cpuprofile's path (DevTools opens it).
 * Run it under `flock /tmp/timing.lock`: it loads both cores.
 */

const CONTENDERS = ['async', 'raw', 'both'] as const;

/** Profiles one contender for `seconds` on an already warmed-up workload. */
export async function profileContender(
  contender: Contender,
  name: 'async' | 'raw',
  callers: number,
  seconds: number,
  top = 15,
): Promise<{ summary: Omit<PoolProfileSummary, 'label' | 'recordedAt'>; profile: CpuProfile }> {
  const { result, profile } = await profileDuring(() => runRound(contender, callers, seconds, undefined));
  return {
    summary: {
      contender: name,
      seconds: Math.round(result.seconds * 100) / 100,
      operations: result.operations,
      cpuMicrosPerOp: Math.round((result.cpuMicros / result.operations) * 10) / 10,
      top: topSelfTime(profile, top),
      byOwner: selfTimeByOwner(profile).slice(0, 12),
    },
    profile,
  };
}

function print(summary: Omit<PoolProfileSummary, 'label' | 'recordedAt'>, file: string | undefined): void {
  console.log(`\n== ${summary.contender}: ${summary.operations} operations in ${summary.seconds} s, ${summary.cpuMicrosPerOp} µs CPU per operation (profiler on)`);
  console.log(renderTop(summary.top));
  console.log(`\n   by owner: ${summary.byOwner.map((o) => `${o.owner} ${o.percent}%`).join(', ')}`);
  if (file) console.log(`   profile: ${file}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      contender: { type: 'string', default: 'async' },
      seconds: { type: 'string', default: '5' },
      top: { type: 'string', default: '15' },
      callers: { type: 'string', default: '64' },
      capacity: { type: 'string', default: '10' },
      save: { type: 'string' },
      file: { type: 'string' },
    },
  });
  const top = Number(values.top);
  if (values.file) {
    const profile = JSON.parse(await readFile(values.file, 'utf8')) as CpuProfile;
    console.log(renderTop(topSelfTime(profile, top)));
    console.log(`\nby owner: ${selfTimeByOwner(profile).map((o) => `${o.owner} ${o.percent}%`).join(', ')}`);
    return;
  }
  const contender = values.contender as (typeof CONTENDERS)[number];
  if (!CONTENDERS.includes(contender)) throw new Error(`--contender ${values.contender} is not allowed: expected one of ${CONTENDERS.join(', ')}`);
  const seconds = Number(values.seconds);
  const callers = Number(values.callers);
  const capacity = Number(values.capacity);

  const database = new EmbeddedDatabase(100);
  const adminUrl = await database.start();
  const contenders = poolContenders(adminUrl, { callers, capacity });
  const outDir = path.join(os.tmpdir(), 'pool-profiles');
  await mkdir(outDir, { recursive: true });
  try {
    // Open both pools' connections interleaved (connections opened first serve faster here: see bench/pool-overhead.ts).
    await Promise.all([runRound(contenders.raw, callers, 1, undefined), runRound(contenders.async, callers, 1, undefined)]);
    await runRound(contenders.raw, callers, 1, undefined);
    await runRound(contenders.async, callers, 1, undefined);
    const names = contender === 'both' ? (['async', 'raw'] as const) : ([contender] as const);
    for (const name of names) {
      const { summary, profile } = await profileContender(contenders[name], name, callers, seconds, top);
      const file = path.join(outDir, `${name}-${Date.now()}.cpuprofile`);
      await saveProfile(profile, file);
      print(summary, file);
      if (values.save && name === 'async') {
        await mkdir(RESULTS_DIR, { recursive: true });
        const saved: PoolProfileSummary = { label: values.save, recordedAt: new Date().toISOString(), ...summary };
        await writeFile(profileSummaryFile(values.save), `${JSON.stringify(saved, null, 2)}\n`);
        console.log(`   saved: ${profileSummaryFile(values.save)}`);
      }
    }
  } finally {
    await contenders.close();
    await database.stop();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`profile-pool failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
