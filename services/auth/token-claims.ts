/**
 * What every token of this system carries and how it is checked: shared by the auth service,
 * which signs, and the backend, which verifies locally against the published JWKS.
 * The algorithm is pinned: a token signed any other way (alg "none", HS256 with the public key,
 * another curve) is refused before its signature is even looked at.
 */
export const TOKEN_ALGORITHM = 'EdDSA';
export const TOKEN_ISSUER = 'pool-suite-auth';
export const TOKEN_AUDIENCE = 'pool-suite';

/** The claims a verified token gives its holder. */
export interface TokenClaims {
  subject: string;
  email: string;
  expiresAt: Date;
}
