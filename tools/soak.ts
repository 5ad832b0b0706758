/**
 * `npm run soak`: runs the suite N times in a row (quick profile by default) and reports failures
 * per scenario — the flakiness check. With `--interrupt`, each run is interrupted at a random moment
 * instead, and the soak checks that nothing was left behind: no PostgreSQL, no service process, no
 * cucumber worker, no temp dir, and none of the TCP ports the run was listening on at the moment of
 * the signal still accepting connections. The signals go, in turn: SIGINT to the run's whole process
 * group (Ctrl-C in a terminal), SIGTERM to cucumber alone (`kill`), SIGINT to cucumber alone,
 * SIGTERM to the group. With `--parallel N`, each run is `cucumber-js --parallel N`.
 *
 *   npm run soak                      # 10 runs of --profile quick
 *   npm run soak -- --runs 3 --profile default --tags @tc1
 *   npm run soak -- --runs 5 --parallel 2
 *   npm run soak -- --interrupt --runs 5 [--parallel 2]
 *   npm run soak -- --interrupt --runs 2 --interrupt-after 15000   # a fixed moment, to reproduce one
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../testkit/service-process';

interface ScenarioResult {
  name: string;
  passed: boolean;
}

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    profile: { type: 'string', default: 'quick' },
    tags: { type: 'string' },
    parallel: { type: 'string' },
    interrupt: { type: 'boolean', default: false },
    'interrupt-after': { type: 'string' },
  },
});

const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs=${options.runs} is not allowed: expected a positive integer\n`);
  process.exit(2);
}
const workers = options.parallel === undefined ? undefined : Number(options.parallel);
if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
  process.stderr.write(`--parallel=${options.parallel} is not allowed: expected a positive integer\n`);
  process.exit(2);
}

/** What a run could leave behind: processes (PostgreSQL, services, cucumber workers) and temp dirs that belong to the suite. */
function leftovers(): string[] {
  const processes = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /pool-suite-pg-|services\/(backend|auth)\/main\.ts|@cucumber\/cucumber\/lib\/runtime\/parallel\/run_worker/.test(line));
  const tempDirs = readdirSync(os.tmpdir()).filter((name) => name.startsWith('pool-suite-pg-'));
  return [...processes.map((p) => `process: ${p.trim()}`), ...tempDirs.map((d) => `temp dir: ${d}`)];
}

/** The process and all its descendants, from `ps` (PostgreSQL and the services are grandchildren). */
function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid && ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/**
 * The TCP ports a process tree is listening on (Linux: its sockets' inodes from /proc/<pid>/fd,
 * matched against the LISTEN rows of /proc/net/tcp{,6}). Empty where /proc is not there.
 */
function listeningPortsOf(rootPid: number): number[] {
  const inodes = new Set<string>();
  for (const pid of processTree(rootPid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone already, or not ours to read
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed while we looked
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows: string[] = [];
    try {
      rows = readFileSync(table, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      const LISTEN = '0A';
      if (fields[3] === LISTEN && inodes.has(fields[9] ?? '')) ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Whether something still accepts a TCP connection on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function cucumberArgs(reportFile: string): string[] {
  const args = ['cucumber-js', '--profile', options.profile!, '--format', `json:${reportFile}`];
  if (options.tags) args.push('--tags', options.tags);
  if (workers !== undefined) args.push('--parallel', String(workers));
  return args;
}

function scenariosOf(reportFile: string): ScenarioResult[] {
  const features = JSON.parse(readFileSync(reportFile, 'utf8')) as Array<{
    name: string;
    elements?: Array<{ name: string; type: string; steps?: Array<{ result?: { status: string } }> }>;
  }>;
  return features.flatMap((feature) =>
    (feature.elements ?? [])
      .filter((element) => element.type === 'scenario')
      .map((scenario) => ({
        name: `${feature.name} / ${scenario.name}`,
        passed: (scenario.steps ?? []).every((step) => step.result?.status === 'passed'),
      })),
  );
}

interface RunOutcome {
  code: number | null;
  /** Whether the signal was sent (false when the run ended before its moment came). */
  signalled: boolean;
  /** The ports the run was listening on just before the signal. */
  portsAtSignal: number[];
}

/** How an interrupt arrives: SIGINT or SIGTERM, to the run's whole process group (a terminal's Ctrl-C) or to cucumber alone (`kill PID`). */
interface Interrupt {
  signal: NodeJS.Signals;
  to: 'group' | 'cucumber';
}
const INTERRUPTS: readonly Interrupt[] = [
  { signal: 'SIGINT', to: 'group' },
  { signal: 'SIGTERM', to: 'cucumber' },
  { signal: 'SIGINT', to: 'cucumber' },
  { signal: 'SIGTERM', to: 'group' },
];
const describeInterrupt = ({ signal, to }: Interrupt) => `${signal} to ${to === 'group' ? 'the process group' : 'cucumber'}`;

/** The run now under way: the soak's own Ctrl-C is passed to its process group. */
let current: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (current?.pid !== undefined) process.kill(-current.pid, signal);
    process.exit(130);
  });
}

/**
 * Runs the suite once, in a process group of its own (so a signal can reach the whole group, as a
 * terminal's Ctrl-C does); with `interruptAfterMs`, sends `interrupt` then, noting the ports open at that moment.
 */
function runOnce(reportFile: string, interruptAfterMs: number | undefined, interrupt: Interrupt): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let signalled = false;
    let portsAtSignal: number[] = [];
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'cucumber-js'), cucumberArgs(reportFile).slice(1), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
    current = child;
    const timer =
      interruptAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            if (child.pid === undefined) return;
            portsAtSignal = listeningPortsOf(child.pid);
            try {
              process.kill(interrupt.to === 'group' ? -child.pid : child.pid, interrupt.signal);
              signalled = true;
            } catch {
              // ended just now
            }
          }, interruptAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code, signalled, portsAtSignal });
    });
  });
}

/**
 * What was there before the soak began (another run, `npm run stack` in another terminal): not
 * this soak's doing, so not counted against it.
 */
let alreadyThere = new Set<string>();

/** Leftover processes and temp dirs, and any of `ports` still accepting connections; polled until none or the deadline. */
async function waitUntilClean(within: number, ports: number[] = []): Promise<string[]> {
  const deadline = Date.now() + within;
  for (;;) {
    const open = (await Promise.all(ports.map(async (port) => ((await accepting(port)) ? [`port: 127.0.0.1:${port} still accepting`] : [])))).flat();
    const found = [...leftovers().filter((thing) => !alreadyThere.has(thing)), ...open];
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const fixedInterruptMs = options['interrupt-after'] === undefined ? undefined : Number(options['interrupt-after']);
if (fixedInterruptMs !== undefined && (!Number.isInteger(fixedInterruptMs) || fixedInterruptMs < 0)) {
  process.stderr.write(`--interrupt-after=${options['interrupt-after']} is not allowed: expected milliseconds, a whole number from 0\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  alreadyThere = new Set(leftovers());
  if (alreadyThere.size > 0) {
    process.stderr.write(`soak: already there before the first run, so not counted as left behind:\n  ${[...alreadyThere].join('\n  ')}\n`);
  }
  const reportDir = path.join(REPO_ROOT, '.run', 'soak');
  mkdirSync(reportDir, { recursive: true });
  const failuresByScenario = new Map<string, number>();
  const runsLeavingSomething: string[] = [];
  let failedRuns = 0;
  const signalsSent = new Map<string, number>();
  let portsWatched = 0;

  for (let run = 1; run <= runs; run++) {
    const reportFile = path.join(reportDir, `run-${run}.json`);
    const started = Date.now();
    const interrupt = INTERRUPTS[(run - 1) % INTERRUPTS.length]!;
    const signal = describeInterrupt(interrupt);
    // Somewhere between start-up and the middle of a scenario: 0.5–20 s.
    const interruptAfterMs = options.interrupt ? (fixedInterruptMs ?? 500 + Math.floor(Math.random() * 19_500)) : undefined;
    const { code, signalled, portsAtSignal } = await runOnce(reportFile, interruptAfterMs, interrupt);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (options.interrupt) {
      if (signalled) signalsSent.set(signal, (signalsSent.get(signal) ?? 0) + 1);
      portsWatched += portsAtSignal.length;
      const left = await waitUntilClean(20_000, portsAtSignal);
      if (left.length > 0) runsLeavingSomething.push(`run ${run} (${signal} after ${interruptAfterMs} ms): ${left.join('; ')}`);
      const sent = signalled ? `${signal} after ${interruptAfterMs} ms` : `ended before its ${signal} at ${interruptAfterMs} ms`;
      const ports = portsAtSignal.length > 0 ? portsAtSignal.join(', ') : 'none yet';
      process.stdout.write(`run ${run}: ${sent}, exit ${code}, ${seconds} s; listening at the signal: ${ports}; ${left.length} left behind\n`);
      continue;
    }
    let scenarios: ScenarioResult[] = [];
    try {
      scenarios = scenariosOf(reportFile);
    } catch {
      failuresByScenario.set('(no report: the run did not complete)', (failuresByScenario.get('(no report: the run did not complete)') ?? 0) + 1);
    }
    const failed = scenarios.filter((s) => !s.passed);
    for (const scenario of failed) failuresByScenario.set(scenario.name, (failuresByScenario.get(scenario.name) ?? 0) + 1);
    if (code !== 0 || failed.length > 0) failedRuns++;
    process.stdout.write(`run ${run}: ${scenarios.length - failed.length} passed, ${failed.length} failed, exit ${code}, ${seconds} s\n`);
    const left = await waitUntilClean(10_000);
    if (left.length > 0) runsLeavingSomething.push(`run ${run}: ${left.join('; ')}`);
  }

  process.stdout.write('\n');
  if (options.interrupt) {
    const sent = [...signalsSent].map(([name, count]) => `${count} ${name}`).join(', ') || 'none';
    process.stdout.write(`interrupted runs: ${runs}, signals sent: ${sent}, ports watched: ${portsWatched}, runs that left something behind: ${runsLeavingSomething.length}\n`);
    for (const line of runsLeavingSomething) process.stdout.write(`  ${line}\n`);
    process.exit(runsLeavingSomething.length > 0 ? 1 : 0);
  }
  process.stdout.write(`soak: ${runs} runs of --profile ${options.profile}${workers === undefined ? '' : ` --parallel ${workers}`}, ${failedRuns} with failures\n`);
  for (const [name, count] of [...failuresByScenario].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${count}/${runs} failed: ${name}\n`);
  }
  for (const line of runsLeavingSomething) process.stdout.write(`  left behind after ${line}\n`);
  process.exit(failedRuns > 0 || runsLeavingSomething.length > 0 ? 1 : 0);
}

void main();
