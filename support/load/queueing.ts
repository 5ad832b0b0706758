import { expect } from 'chai';
import { AuthClient, TEST_USER } from '../clients/auth-client';
import { sessionsOf } from '../clients/sessions';
import { eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';

/** `count` quick requests that need a connection, all at once, in the background. */
export function startQuickRequests(world: PoolWorld, service: ServiceName, count: number, label: string): void {
  const client = world.client(service);
  for (let i = 0; i < count; i++) world.operations.start(label, () => client.work('fast'));
}

/**
 * `count` quick requests sent one at a time, each only once the pool counts the previous one as
 * waiting: their arrival order is then known from the service's own count, not from luck.
 */
export async function queueOneAfterAnother(world: PoolWorld, service: ServiceName, count: number, label: string): Promise<void> {
  const client = world.client(service);
  const waitingBefore = (await client.poolSnapshot()).connections.waiting;
  for (let i = 1; i <= count; i++) {
    world.operations.start(label, () => client.work('fast'));
    await eventually(async () => {
      const { connections } = await client.poolSnapshot();
      expect(connections.waiting, `${service} requests waiting after sending queued request ${i}`).to.equal(waitingBefore + i);
    });
  }
}

/** `count` logins of the test user at once, counted against the auth pool's admissions before them. */
export async function startLoginStorm(world: PoolWorld, count: number): Promise<void> {
  const auth = new AuthClient(world.client('auth'));
  const { counters } = await world.client('auth').poolSnapshot();
  sessionsOf(world).authPoolAdmissionsBefore = (counters.acquired ?? 0) + (counters.rejected ?? 0) + (counters.timeouts ?? 0);
  const { email, password } = TEST_USER;
  for (let i = 0; i < count; i++) world.operations.start('login', () => auth.login(email, password));
}

/** Sends one request over the scenario's WebSocket, tracked like an HTTP request. */
export function startWebSocketRequest(world: PoolWorld, label: string): void {
  const socket = sessionsOf(world).webSocket;
  const id = `${label}-${world.operations.labelled(label).length + 1}`;
  world.operations.start(label, () => socket.request({ id, op: 'fast' }));
}
