import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, errors, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, type TokenClaims } from './token-claims';

/** A token that is missing, malformed, expired, forged or signed any other way; `reason` says which. */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor(readonly reason: string) {
    super(`token rejected: ${reason}`);
  }
}

/** Why jose refused a token, in words a client can act on (never the token itself). */
function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JOSEAlgNotAllowed) return `the token is not signed with ${TOKEN_ALGORITHM}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token was signed by an unknown key';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token claim "${error.claim}" is not valid`;
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  if (error instanceof errors.JWKSTimeout) return 'the signing keys could not be fetched in time';
  if (error instanceof errors.JOSEError) return `the token is not valid (${error.code})`;
  return 'the token could not be verified';
}

/** Verifies a token against a key source (local key set or remote JWKS) with the algorithm pinned. */
export async function verifyToken(token: string, keys: JWTVerifyGetKey): Promise<TokenClaims> {
  if (!token) throw new TokenRejectedError('no token was given');
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (typeof payload.email !== 'string') throw new TokenRejectedError('the token claim "email" is missing');
    return { subject: payload.sub!, email: payload.email, expiresAt: new Date(payload.exp! * 1000) };
  } catch (error) {
    if (error instanceof TokenRejectedError) throw error;
    throw new TokenRejectedError(reasonFor(error));
  }
}

/**
 * Signs short-lived tokens with an Ed25519 key pair made at start-up (never written anywhere)
 * and publishes the public half as a JWKS, so verifiers need no round trip per token.
 * A restart makes a new key: tokens from before it are refused, which short lifetimes make cheap.
 */
export class TokenIssuer {
  private readonly localKeys: JWTVerifyGetKey;

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly keySet: JSONWebKeySet,
    readonly ttlSeconds: number,
  ) {
    this.localKeys = createLocalJWKSet(keySet);
  }

  static async create(ttlSeconds: number): Promise<TokenIssuer> {
    const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
    return new TokenIssuer(privateKey, { keys: [jwk] }, ttlSeconds);
  }

  /** A token for `subject`; `ttlSeconds` may be negative to mint an already expired one (admin test aid). */
  async issue(subject: string, email: string, ttlSeconds = this.ttlSeconds): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + ttlSeconds;
    const token = await new SignJWT({ email })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: this.keySet.keys[0]!.kid!, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(Math.min(now, exp - 1))
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The public keys, as GET /auth/jwks serves them. */
  jwks(): JSONWebKeySet {
    return this.keySet;
  }

  verify(token: string): Promise<TokenClaims> {
    return verifyToken(token, this.localKeys);
  }
}
