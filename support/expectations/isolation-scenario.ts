import { AuthClient, TEST_USER } from '../clients/auth-client';
import { sessionsOf } from '../clients/sessions';
import type { Outcome } from '../clients/outcome';
import type { PoolSnapshot } from '../clients/contract';
import type { PoolWorld } from '../world';
import { PerScenario } from '../per-scenario';

/** One sign-in: a login and a token check on the auth service, each with its own answer. */
export interface AuthRound {
  login: Outcome;
  tokenCheck: Outcome;
}

/** What test case 6 measures before and during the backend's exhaustion, kept per World. */
export class IsolationScenario {
  baseline: AuthRound[] = [];
  duringExhaustion: AuthRound[] = [];
  /** The auth pool as it was before the backend was exhausted. */
  authBefore: PoolSnapshot | undefined;
  webSocketPingMs: number | undefined;
}

const scenarios = new PerScenario('no isolation scenario', () => new IsolationScenario());

export function isolationOf(world: PoolWorld): IsolationScenario {
  return scenarios.of(world);
}

/** `count` sign-ins one after another (login, then "who am I" with the new token), each tracked. */
export async function signInRounds(world: PoolWorld, count: number, label: string): Promise<AuthRound[]> {
  const auth = new AuthClient(world.client('auth'));
  const { email, password } = TEST_USER;
  const rounds: AuthRound[] = [];
  for (let i = 0; i < count; i++) {
    const login = await world.operations.start(`${label}: login`, () => auth.login(email, password)).result;
    const token = (login.body as { accessToken?: string } | undefined)?.accessToken ?? '';
    const tokenCheck = await world.operations.start(`${label}: token check`, () => auth.me(token)).result;
    rounds.push({ login, tokenCheck });
  }
  return rounds;
}

/** Signs in at auth, opens the backend's WebSocket with the token, and measures a ping. */
export async function connectWebSocket(world: PoolWorld): Promise<number | undefined> {
  const token = await new AuthClient(world.client('auth')).token();
  const socket = await sessionsOf(world).openWebSocket(token);
  return socket.ping(5_000);
}
