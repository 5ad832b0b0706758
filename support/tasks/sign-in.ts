import { AuthClient, TEST_USER } from '../clients/auth-client';
import type { Outcome } from '../clients/outcome';
import { ScenarioState } from '../scenario-state';
import type { PoolReading } from '../targets/service-target';
import type { PoolWorld } from '../world';

/** One sign-in: a login and a token check on the auth service, each with its own answer. */
export interface SignIn {
  login: Outcome;
  tokenCheck: Outcome;
}

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
}

const measures = new ScenarioState('no sign-ins', () => new SignInMeasures());

export function signInsOf(world: PoolWorld): SignInMeasures {
  return measures.of(world);
}

/** `count` sign-ins one after another (login, then a check of the new token), each tracked. */
export async function signInRounds(world: PoolWorld, count: number, label: string): Promise<SignIn[]> {
  const auth = world.target('auth');
  const rounds: SignIn[] = [];
  for (let i = 0; i < count; i++) {
    const signIn = auth.signIn();
    // Tracked as operations, so the After hook waits for them like for every other request.
    const login = world.operations.start(`${label}: login`, async () => (await signIn).login);
    const tokenCheck = world.operations.start(`${label}: token check`, async () => (await signIn).tokenCheck);
    rounds.push({ login: await login.result, tokenCheck: await tokenCheck.result });
  }
  return rounds;
}

/** Remembers the auth pool as it is now: what "untouched" is judged against. */
export async function rememberAuthPool(world: PoolWorld): Promise<void> {
  const measures = signInsOf(world);
  measures.since = Date.now();
  measures.authBefore = await world.target('auth').poolState();
}

/** `count` logins of the test user at once, counted against the auth pool's admissions before them. */
export async function startLoginStorm(world: PoolWorld, count: number): Promise<void> {
  const auth = new AuthClient(world.testApi('auth'));
  signInsOf(world).authAdmissionsBefore = await authAdmissions(world);
  const { email, password } = TEST_USER;
  for (let i = 0; i < count; i++) world.operations.start('login', () => auth.login(email, password));
}

/** Acquired + rejected + timed out: every time the auth pool was asked for a connection. */
export async function authAdmissions(world: PoolWorld): Promise<number> {
  const { counters } = await world.testApi('auth').poolSnapshot();
  return (counters.acquired ?? 0) + (counters.rejected ?? 0) + (counters.timeouts ?? 0);
}
