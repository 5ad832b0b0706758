import type { PoolWorld } from '../world';
import { WebSocketClient } from './websocket-client';
import { PerScenario } from '../per-scenario';

/**
 * What a scenario opens beyond HTTP requests — its WebSocket clients, the auth pool's counters
 * before a storm — kept per World (a WeakMap, so the World stays small) and closed through the
 * World's cleanup stack, so nothing outlives its scenario.
 */
export class ScenarioSessions {
  private socket: WebSocketClient | undefined;
  /** The auth pool's acquired + rejected + timeouts before a login storm. */
  authPoolAdmissionsBefore: number | undefined;
  /** The token of the last connection attempt. */
  token: string | undefined;
  /** Why the last connection attempt was refused, when it was. */
  refusal: unknown;

  constructor(private readonly world: PoolWorld) {}

  async openWebSocket(token: string | undefined): Promise<WebSocketClient> {
    const client = await WebSocketClient.connect(this.world.system.deployment.backendUrl, token);
    this.world.onCleanup(() => client.close());
    this.socket = client;
    return client;
  }

  get webSocket(): WebSocketClient {
    if (!this.socket) throw new Error('no WebSocket client was connected in this scenario');
    return this.socket;
  }
}

const sessions = new PerScenario('no sessions', (world) => new ScenarioSessions(world));

export function sessionsOf(world: PoolWorld): ScenarioSessions {
  return sessions.of(world);
}
