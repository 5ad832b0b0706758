import { describeAnswer, type Outcome } from '../clients/outcome';
import { WAIT } from '../timeouts';
import { untilHealth } from './health';
import { machinePace } from '../monitoring/machine-pace';
import { ScenarioState } from '../scenario-state';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import type { PoolTimeline } from '../monitoring/pool-timeline';
import type { PoolWorld } from '../world';

/**
 * One sign-in: a login and a token check on the auth service, each with its own answer, and the
 * machine's pace timed right after them (what "as fast as before" is scaled by).
 */
export interface SignIn {
  login: Outcome;
  tokenCheck: Outcome;
  paceMs: number;
}

const WARM_UP_SIGN_INS = 3;

/** What test case 6 measures before and during the backend's exhaustion, and a login storm's starting count. */
export class SignInMeasures {
  baseline: SignIn[] = [];
  duringExhaustion: SignIn[] = [];
  /** The auth pool as it was before the backend was exhausted. */
  authBefore: PoolReading | undefined;
  /** Epoch ms the baseline began: health changes of the auth service after it belong to this scenario. */
  since = Date.now();
  /** The auth pool's acquired + rejected + timeouts before a login storm. */
  authAdmissionsBefore: number | undefined;
  /** Epoch ms the sign-ins during the exhaustion began and ended. */
  duringWindow: { fromEpoch: number; toEpoch: number } | undefined;
  /** The backend's pool, read as soon as the sign-ins during its exhaustion had ended. */
  backendAtEnd: PoolReading | undefined;
}

const measures = new ScenarioState('no sign-ins', () => new SignInMeasures());

export function signInsOf(world: PoolWorld): SignInMeasures {
  return measures.of(world);
}

/** `count` sign-ins one after another (login, then a check of the new token), each tracked and followed by the machine's pace. */
export async function signInRounds(world: PoolWorld, count: number, label: string): Promise<SignIn[]> {
  const auth = world.target('auth');
  const rounds: SignIn[] = [];
  for (let i = 0; i < count; i++) {
    const signIn = auth.signIn();
    // Tracked as operations, so the After hook waits for them like for every other request.
    const login = world.operations.forService('auth').start(`${label}: login`, async () => (await signIn).login);
    const tokenCheck = world.operations.forService('auth').start(`${label}: token check`, async () => (await signIn).tokenCheck);
    rounds.push({ login: await login.result, tokenCheck: await tokenCheck.result, paceMs: await machinePace() });
  }
  return rounds;
}

/** The normal speed: `count` sign-ins on a warmed-up auth service, from where "untouched" is judged. */
export async function measureNormalSpeed(world: PoolWorld, count: number): Promise<SignInMeasures> {
  // Normal means healthy: pressure left by an earlier scenario must age out of the health window first.
  const health = await untilHealth(world, 'auth', ['healthy'], WAIT.settle);
  if (health.status !== 'healthy') throw new Error(`the auth service was not healthy before its normal speed was measured: ${describeAnswer(health.answer)}`);
  // Not counted: the first sign-ins after a quiet spell pay for cold caches.
  await signInRounds(world, WARM_UP_SIGN_INS, 'warm-up');
  await rememberAuthPool(world);
  const measures = signInsOf(world);
  measures.baseline = await signInRounds(world, count, 'baseline');
  return measures;
}

/**
 * `count` sign-ins while the backend is exhausted, then at once a reading of the backend's pool:
 * whether it was still exhausted when they ended.
 */
export async function signInsDuringExhaustion(world: PoolWorld, count: number): Promise<SignInMeasures> {
  const measures = signInsOf(world);
  const fromEpoch = Date.now();
  measures.duringExhaustion = await signInRounds(world, count, 'during exhaustion');
  const toEpoch = Date.now();
  measures.backendAtEnd = await world.pool('backend');
  measures.duringWindow = { fromEpoch, toEpoch };
  return measures;
}

/** Remembers the auth pool as it is now: what "untouched" is judged against. */
export async function rememberAuthPool(world: PoolWorld): Promise<void> {
  const measures = signInsOf(world);
  measures.since = Date.now();
  measures.authBefore = await world.target('auth').poolState();
}

/** `count` logins of the test user at once, counted against the auth pool's admissions before them. */
export async function startLoginStorm(world: PoolWorld, count: number): Promise<void> {
  const auth = world.target('auth');
  // Counted before only where the pool reports its admissions: the check then says it is not judged.
  signInsOf(world).authAdmissionsBefore = await authAdmissions(world).catch(() => undefined);
  const operations = world.operations.forService('auth');
  for (let i = 0; i < count; i++) operations.start('login', () => auth.login());
}

/**
 * The auth pool's admissions before the storm and once they have settled after it (every login
 * answered; the counts polled until they stop moving, within a few seconds), and how many logins.
 */
export async function admissionsAfterStorm(world: PoolWorld): Promise<{ before: number; after: number; logins: number }> {
  await world.operations.settled('login');
  const logins = world.operations.labelled('login').length;
  const before = signInsOf(world).authAdmissionsBefore;
  if (before === undefined) return { before: 0, after: await authAdmissions(world), logins };
  let after = await authAdmissions(world);
  const deadline = Date.now() + 5_000;
  while (after - before !== logins && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await authAdmissions(world);
  }
  return { before, after, logins };
}

/** Acquired + rejected + timed out: every time the auth pool was asked for a connection. */
export async function authAdmissions(world: PoolWorld): Promise<number> {
  const { acquired, rejected, timeouts } = await world.pool('auth');
  if (acquired === undefined || rejected === undefined || timeouts === undefined) {
    throw new NotOffered("the auth pool's counts of connections acquired, refused and timed out", `${world.target('auth').label} reports ${[acquired, rejected, timeouts].every((n) => n === undefined) ? 'none' : 'only some'} of them`);
  }
  return acquired + rejected + timeouts;
}

/** The backend's pool while the sign-ins during its exhaustion ran (the timeline's samples) and as they ended, with their window. */
export function backendDuringSignIns(world: PoolWorld, timeline: PoolTimeline): { readings: Array<{ at: number; active?: number; waiting?: number }>; window: { fromEpoch: number; toEpoch: number } } {
  const { duringWindow, backendAtEnd } = signInsOf(world);
  if (!duringWindow || !backendAtEnd) throw new Error('no sign-ins were measured during the exhaustion in this scenario');
  const sampled = timeline.samplesOf('backend', duringWindow).map((s) => ({ at: timeline.startedAt + s.t, active: s.active, waiting: s.waiting }));
  return { readings: [...sampled, backendAtEnd], window: duringWindow };
}
