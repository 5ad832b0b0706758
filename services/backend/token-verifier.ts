import { createRemoteJWKSet } from 'jose';
import type { TokenClaims } from '../auth/token-claims';
import { verifyToken } from '../auth/tokens';

/** Checks a bearer token; rejects with TokenRejectedError (and its reason) when it is not valid. */
export interface TokenVerifier {
  verify(token: string): Promise<TokenClaims>;
}

/**
 * Verifies tokens locally against the auth service's published keys (GET /auth/jwks), fetched
 * once and cached by jose: no auth round trip per token, so an exhausted auth pool cannot stall
 * the backend (and the other way round). An unknown key id refetches the set (auth restarted),
 * at most once per cooldown.
 */
export function remoteTokenVerifier(authUrl: string): TokenVerifier {
  const keys = createRemoteJWKSet(new URL('/auth/jwks', authUrl), {
    timeoutDuration: 2_000,
    cooldownDuration: 5_000,
    cacheMaxAge: 10 * 60_000,
  });
  return { verify: (token) => verifyToken(token, keys) };
}
