import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import { remoteTokenVerifier, type TokenVerifier } from '../backend/token-verifier';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from './token-claims';
import { TokenRejectedError, verifyToken } from './tokens';

/*
 * Tokens are verified with the algorithm pinned, and with issuer, audience and expiry required.
 * What app.test.ts already covers through the auth service (expired, forged payload, another key,
 * alg none, HS256 keyed with the JWK) is not repeated; here: the claims, HS256 keyed with the
 * other forms of the public key, and the backend's own path (keys fetched over HTTP as JWKS).
 */

const KID = 'test-key';
let privateKey: CryptoKey;
let publicKey: CryptoKey;
let keySet: JSONWebKeySet;
const now = () => Math.floor(Date.now() / 1000);

/** Claims as the auth service issues them; `overrides` changes or (undefined) removes one. */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = { email: 'qa@example.test', sub: '1', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now(), exp: now() + 60 };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base as JWTPayload;
}

const signed = (payload: JWTPayload) => new SignJWT(payload).setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: KID }).sign(privateKey);
const hmacSigned = (payload: JWTPayload, secret: Uint8Array) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(secret);
const unsigned = (payload: JWTPayload) => `${Buffer.from(JSON.stringify({ alg: 'none', kid: KID })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

async function reasonRefused(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => assert.fail('the token was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TokenRejectedError, `expected TokenRejectedError, got ${String(error)}`);
  return error.reason;
}

before(async () => {
  ({ privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true }));
  keySet = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: TOKEN_ALGORITHM, use: 'sig' }] };
});

/** Runs the same checks against a verifier: the shared one on a local key set, and the backend's over HTTP. */
function refusals(name: string, verifier: () => TokenVerifier): void {
  describe(`${name}: pinned algorithm, issuer, audience and expiry`, () => {
    it('accepts a token signed as the auth service signs (so each refusal below means something)', async () => {
      const verified = await verifier().verify(await signed(claims()));
      assert.equal(verified.subject, '1');
      assert.equal(verified.email, 'qa@example.test');
    });

    it('refuses a token for another issuer or another audience', async () => {
      assert.match(await reasonRefused(verifier(), await signed(claims({ iss: 'someone-else' }))), /claim "iss"/);
      assert.match(await reasonRefused(verifier(), await signed(claims({ aud: 'another-system' }))), /claim "aud"/);
      assert.match(await reasonRefused(verifier(), await signed(claims({ aud: undefined }))), /claim "aud"/);
    });

    it('refuses a token without expiry, one expired a second ago, and one without an email', async () => {
      assert.match(await reasonRefused(verifier(), await signed(claims({ exp: undefined }))), /claim "exp"/);
      assert.match(await reasonRefused(verifier(), await signed(claims({ iat: now() - 61, exp: now() - 1 }))), /the token has expired/);
      assert.match(await reasonRefused(verifier(), await signed(claims({ email: undefined }))), /claim "email" is missing/);
    });

    it('refuses alg "none" and HS256 keyed with any form of the public key (algorithm confusion)', async () => {
      const jwk = keySet.keys[0]!;
      const secrets = {
        'JWK JSON': new TextEncoder().encode(JSON.stringify(jwk)),
        'raw public key': Buffer.from(jwk.x!, 'base64url'),
        'SPKI PEM': new TextEncoder().encode(await exportSPKI(publicKey)),
      };
      assert.match(await reasonRefused(verifier(), unsigned(claims())), /not signed with EdDSA/);
      for (const [form, secret] of Object.entries(secrets)) {
        assert.match(await reasonRefused(verifier(), await hmacSigned(claims(), secret)), /not signed with EdDSA/, `HS256 keyed with the ${form}`);
      }
    });
  });
}

refusals('shared verifier (auth service)', () => ({ verify: (token) => verifyToken(token, createLocalJWKSet(keySet)) }));

describe('backend verifier, keys fetched from the auth service', () => {
  let server: Server;
  let verifier: TokenVerifier;
  before(async () => {
    server = createServer((request, response) => {
      if (request.url !== '/auth/jwks') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    verifier = remoteTokenVerifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  refusals('remote JWKS', () => verifier);
});
