import type { WebSocketClient } from '../clients/websocket-client';
import { ScenarioState } from '../scenario-state';
import { NotOffered } from '../targets/not-offered';
import type { PoolWorld } from '../world';

/**
 * The WebSocket clients a scenario opens, kept per World and closed through the World's cleanup
 * stack, so nothing outlives its scenario.
 */
export class WebSocketSessions {
  private socket: WebSocketClient | undefined;
  /** The token of the last connection attempt. */
  token: string | undefined;
  /** Why the last connection attempt was refused, when it was. */
  refusal: unknown;

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
  return webSocketsOf(world).open(await signedInToken(world));
}

/** The same, for one more client beside the scenario's own. */
export async function openAnotherSignedInWebSocket(world: PoolWorld): Promise<WebSocketClient> {
  return webSocketsOf(world).openAnother(await signedInToken(world));
}

async function signedInToken(world: PoolWorld): Promise<string> {
  const backend = world.target('backend');
  if (!backend.hasWebSocket) throw new NotOffered('a WebSocket', `${backend.label} has none the suite can speak to (the target file describes no websocket)`);
  return world.target('auth').token();
}

/** Tries to open the WebSocket with a bad token; remembers the token and the refusal. */
export async function tryWebSocketWith(world: PoolWorld, token: string): Promise<void> {
  const sessions = webSocketsOf(world);
  sessions.token = token;
  sessions.refusal = await sessions.open(token).then(() => undefined, (error: unknown) => error);
}

/** Sends one request over the scenario's WebSocket, tracked like an HTTP request. */
export function startWebSocketRequest(world: PoolWorld, label: string): void {
  const socket = webSocketsOf(world).webSocket;
  const id = `${label}-${world.operations.labelled(label).length + 1}`;
  world.operations.forService('backend').start(label, () => socket.request({ id, op: 'fast' }));
}
