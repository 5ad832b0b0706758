import { AuthClient, TEST_USER } from '../clients/auth-client';
import type { PoolSnapshot } from '../clients/contract';
import type { Outcome } from '../clients/outcome';
import { ScenarioState } from '../scenario-state';
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
  authBefore: PoolSnapshot | undefined;
  /** The auth pool's acquired + rejected + timeouts before a login storm. */
  authAdmissionsBefore: number | undefined;
}

const measures = new ScenarioState('no sign-ins', () => new SignInMeasures());

export function signInsOf(world: PoolWorld): SignInMeasures {
  return measures.of(world);
}

/** `count` sign-ins one after another (login, then "who am I" with the new token), each tracked. */
export async function signInRounds(world: PoolWorld, count: number, label: string): Promise<SignIn[]> {
  const auth = new AuthClient(world.client('auth'));
  const { email, password } = TEST_USER;
  const rounds: SignIn[] = [];
  for (let i = 0; i < count; i++) {
    const login = await world.operations.start(`${label}: login`, () => auth.login(email, password)).result;
    const token = (login.body as { accessToken?: string } | undefined)?.accessToken ?? '';
    const tokenCheck = await world.operations.start(`${label}: token check`, () => auth.me(token)).result;
    rounds.push({ login, tokenCheck });
  }
  return rounds;
}

/** Remembers the auth pool as it is now: what "untouched" is judged against. */
export async function rememberAuthPool(world: PoolWorld): Promise<void> {
  signInsOf(world).authBefore = await world.client('auth').poolSnapshot();
}

/** `count` logins of the test user at once, counted against the auth pool's admissions before them. */
export async function startLoginStorm(world: PoolWorld, count: number): Promise<void> {
  const auth = new AuthClient(world.client('auth'));
  signInsOf(world).authAdmissionsBefore = await authAdmissions(world);
  const { email, password } = TEST_USER;
  for (let i = 0; i < count; i++) world.operations.start('login', () => auth.login(email, password));
}

/** Acquired + rejected + timed out: every time the auth pool was asked for a connection. */
export async function authAdmissions(world: PoolWorld): Promise<number> {
  const { counters } = await world.client('auth').poolSnapshot();
  return (counters.acquired ?? 0) + (counters.rejected ?? 0) + (counters.timeouts ?? 0);
}
