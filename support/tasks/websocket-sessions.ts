import type { Outcome } from '../clients/outcome';
import { WebSocketRefused, type WebSocketClient } from '../clients/websocket-client';
import { ScenarioState } from '../scenario-state';
import type { BadTokenKind } from '../targets/token-maker';
import type { PoolWorld } from '../world';

/** How long an accepted socket is given to be closed by the service before it counts as let in. */
const CLOSED_WITHIN_MS = 2_000;

/** What happened when a WebSocket was tried with a token: refused at the upgrade, or opened (and then closed, or not). */
export type UpgradeResult = { refused: WebSocketRefused } | { opened: true; closeCode: number | undefined } | { failed: string };

/**
 * The WebSocket clients a scenario opens, kept per World and closed through the World's cleanup
 * stack, so nothing outlives its scenario; and the bad token the scenario presented.
 */
export class WebSocketSessions {
  private socket: WebSocketClient | undefined;
  /** The bad token the scenario presented, and what the auth service answered to it over HTTP. */
  presented: { kind: BadTokenKind; token: string; answer: Outcome } | undefined;

  constructor(private readonly world: PoolWorld) {}

  /** Opens the scenario's WebSocket client: the one its later steps speak of. */
  async open(token: string | undefined): Promise<WebSocketClient> {
    const client = await this.openAnother(token);
    this.socket = client;
    return client;
  }

  /** Opens one more client beside the scenario's own (which stays the one later steps speak of). */
  async openAnother(token: string | undefined): Promise<WebSocketClient> {
    const client = await this.world.target('backend').openWebSocket(token);
    this.world.onCleanup(() => client.close());
    return client;
  }

  get webSocket(): WebSocketClient {
    if (!this.socket) throw new Error('no WebSocket client was connected in this scenario');
    return this.socket;
  }
}

const sessions = new ScenarioState('no WebSocket sessions', (world) => new WebSocketSessions(world));

export function webSocketsOf(world: PoolWorld): WebSocketSessions {
  return sessions.of(world);
}

/** Signs in as the test user at the auth service and opens the backend's WebSocket with the token: the scenario's client. */
export async function openSignedInWebSocket(world: PoolWorld): Promise<WebSocketClient> {
  return webSocketsOf(world).open(await world.target('auth').token());
}

/** The same, for one more client beside the scenario's own. */
export async function openAnotherSignedInWebSocket(world: PoolWorld): Promise<WebSocketClient> {
  return webSocketsOf(world).openAnother(await world.target('auth').token());
}

/** Makes a bad token of `kind` for the auth service (from a good one it gave) and asks the auth service whether it is good. */
export async function presentToken(world: PoolWorld, kind: BadTokenKind): Promise<void> {
  const auth = world.target('auth');
  const token = await auth.tokens.make(kind, () => auth.token());
  const answer = await world.operations.forService('auth').start('bad token', () => auth.checkToken(token)).result;
  webSocketsOf(world).presented = { kind, token, answer };
}

/** The bad token the scenario presented. */
export function presentedToken(world: PoolWorld): NonNullable<WebSocketSessions['presented']> {
  const presented = webSocketsOf(world).presented;
  if (!presented) throw new Error('no token was presented in this scenario');
  return presented;
}

/** Tries to open the backend's WebSocket with a token: refused at the upgrade, or opened and (within a moment) closed by the service, or let in. */
export async function tryWebSocketWith(world: PoolWorld, token: string): Promise<UpgradeResult> {
  const backend = world.target('backend');
  try {
    const socket = await backend.openWebSocket(token);
    world.onCleanup(() => socket.close());
    const closed = await Promise.race([socket.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), CLOSED_WITHIN_MS).unref())]);
    return { opened: true, closeCode: closed?.code };
  } catch (error) {
    if (error instanceof WebSocketRefused) return { refused: error };
    if (error instanceof Error && error.name === 'NotOffered') throw error;
    return { failed: String(error) };
  }
}

/** Sends one request that needs the database over the scenario's WebSocket, tracked like an HTTP request. */
export function startWebSocketRequest(world: PoolWorld, label: string): void {
  const socket = webSocketsOf(world).webSocket;
  const id = `${label}-${world.operations.labelled(label).length + 1}`;
  world.operations.forService('backend').start(label, () => socket.askForData(id));
}

/** A protocol ping on the scenario's socket (undefined: no pong, or the socket is closed). */
export async function pingScenarioSocket(world: PoolWorld, withinMs: number): Promise<number | undefined> {
  const socket = webSocketsOf(world).webSocket;
  return socket.isOpen ? socket.ping(withinMs) : undefined;
}
