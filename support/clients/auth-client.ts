import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import type { Outcome } from './outcome';
import type { ServiceTarget } from '../targets/service-target';
import type { ServiceClient } from './service-client';

/**
 * The user the auth service's migration creates — a LOCAL TEST DEFAULT, not a secret. A remote
 * deployment names its own with AUTH_TEST_EMAIL / AUTH_TEST_PASSWORD.
 */
export const TEST_USER = {
  email: process.env.AUTH_TEST_EMAIL ?? 'qa@example.test',
  password: process.env.AUTH_TEST_PASSWORD ?? 'local-test-password',
};

/** The ways a token can be bad, as the features name them. */
export type BadTokenKind = 'no token' | 'an expired token' | 'a forged token' | 'a token signed by another key' | 'an unsigned token';

/** The auth service's contract: login, "who am I", and the admin token aid. */
export class AuthClient {
  constructor(private readonly service: ServiceClient) {}

  login(email: string, password: string): Promise<Outcome> {
    return this.service.request('POST', '/auth/login', { data: { email, password } });
  }

  /** A fresh token for the test user; throws with the answer when login fails. */
  async token(): Promise<string> {
    const outcome = await this.login(TEST_USER.email, TEST_USER.password);
    const token = (outcome.body as { accessToken?: unknown } | undefined)?.accessToken;
    if (outcome.status !== 200 || typeof token !== 'string') throw new Error(`login as ${TEST_USER.email} answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return token;
  }

  me(token: string): Promise<Outcome> {
    return this.service.request('GET', '/auth/me', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  }

  /** A token the auth service signs with a chosen lifetime (negative: already expired), through its admin API. */
  async adminToken(email: string, ttlSeconds: number): Promise<string> {
    const outcome = await this.service.request('POST', '/admin/tokens', { data: { email, ttlSeconds }, admin: true });
    const token = (outcome.body as { accessToken?: unknown } | undefined)?.accessToken;
    if (outcome.status !== 200 || typeof token !== 'string') throw new Error(`/admin/tokens answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
    return token;
  }
}

/**
 * Builds a bad token of `kind` from a valid one the auth service gave (same claims, same key id), the
 * way an attacker would; an expired one only the auth service itself can sign.
 */
export async function badToken(kind: BadTokenKind, auth: Pick<ServiceTarget, 'token' | 'expiredToken'>): Promise<string> {
  if (kind === 'no token') return '';
  if (kind === 'an expired token') return auth.expiredToken();
  const valid = await auth.token();
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const claims = decodeJwt(valid);
  switch (kind) {
    case 'a forged token': {
      // Another user's identity under the original signature.
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: '2', email: 'ops@example.test' })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    }
    case 'a token signed by another key': {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      return new SignJWT(claims).setProtectedHeader(decodeProtectedHeader(valid) as { alg: string }).sign(privateKey);
    }
    case 'an unsigned token': {
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return `${none}.${payload}.`;
    }
  }
}
