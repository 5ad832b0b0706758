import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import type { Outcome } from '../clients/outcome';
import { valueAt } from './json-path';
import { NotOffered } from './not-offered';
import type { TokensDescription } from './schema';

/** The ways a bearer token can be bad, as the features name them. */
export type BadTokenKind = 'no token' | 'an expired token' | 'a forged token' | 'a token signed by another key' | 'an unsigned token';

/** The reason words a service's house rules give each kind of bad token (ours: in its problem's detail). */
export const REASON_KEYS: Record<BadTokenKind, 'missing' | 'expired' | 'forged' | 'otherKey' | 'unsigned'> = {
  'no token': 'missing',
  'an expired token': 'expired',
  'a forged token': 'forged',
  'a token signed by another key': 'otherKey',
  'an unsigned token': 'unsigned',
};

/** How a bad token must be refused over HTTP, by the plan's standard (RFC 6750: 401, or 403) and what the service declares. */
export interface TokenRefusalRules {
  statuses: readonly number[];
  headers: Readonly<Record<string, string>>;
  type: string | undefined;
  /** Where the reason is, and its words per kind: judged only where the service declares them. */
  reason: string | undefined;
  reasons: Partial<Record<ReturnType<typeof reasonKey>, string>>;
}

const reasonKey = (kind: BadTokenKind) => REASON_KEYS[kind];

/**
 * Bad tokens for one auth service, made the way an attacker would from a valid token it gave (same
 * claims, same header): forged claims under the original signature, the same claims signed by
 * another key of the same algorithm (an HMAC secret for HS*, a new key pair otherwise), and an
 * unsigned one (alg none). An expired token is signed by the service itself (a request its
 * description names) or by the suite with the shared secret (HS*); otherwise it cannot be made.
 */
export class TokenMaker {
  readonly refusal: TokenRefusalRules;

  constructor(
    private readonly label: string,
    private readonly description: TokensDescription | undefined,
    private readonly secret: () => string | undefined,
    private readonly expiredFromService: (() => Promise<Outcome>) | undefined,
  ) {
    const refusal = description?.refusal;
    this.refusal = { statuses: refusal?.status ?? [401, 403], headers: refusal?.headers ?? {}, type: refusal?.type, reason: refusal?.reason, reasons: refusal?.reasons ?? {} };
  }

  /** The reason words the service's house rules give `kind`, when it declares them. */
  reasonFor(kind: BadTokenKind): string | undefined {
    return this.refusal.reasons[reasonKey(kind)];
  }

  /** Whether an expired token can be made for this service (the scenario needs @needs-expired-token). */
  get canMakeExpired(): boolean {
    return this.expiredFromService !== undefined || (this.algorithmIsHmac && this.secret() !== undefined);
  }

  async make(kind: BadTokenKind, valid: () => Promise<string>): Promise<string> {
    if (kind === 'no token') return '';
    if (kind === 'an expired token') return this.expired(valid);
    const token = await valid();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decodeJwt(token);
    switch (kind) {
      case 'a forged token': {
        // Another identity under the original signature.
        const forged = Buffer.from(JSON.stringify({ ...claims, sub: `${String(claims.sub ?? '')}-forged`, email: 'ops@example.test', admin: true })).toString('base64url');
        return `${header}.${forged}.${signature}`;
      }
      case 'a token signed by another key':
        return this.signElsewhere(token, claims);
      case 'an unsigned token':
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    }
  }

  private get algorithmIsHmac(): boolean {
    return this.description?.algorithm?.startsWith('HS') ?? this.description?.secret !== undefined;
  }

  /** The same claims and header, signed by a key of the same algorithm that is not the service's. */
  private async signElsewhere(token: string, claims: Record<string, unknown>): Promise<string> {
    const header = decodeProtectedHeader(token) as { alg: string; [key: string]: unknown };
    const alg = this.description?.algorithm ?? header.alg;
    const jwt = new SignJWT(claims).setProtectedHeader({ ...header, alg });
    if (alg.startsWith('HS')) return jwt.sign(randomBytes(32));
    const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
    return jwt.sign(privateKey);
  }

  private async expired(valid: () => Promise<string>): Promise<string> {
    if (this.expiredFromService) {
      const answer = await this.expiredFromService();
      const token = valueAt(answer.body, this.description!.expired!.token);
      if (typeof token !== 'string') throw new Error(`${this.label}: tokens.expired answered ${answer.status} without a token at ${this.description!.expired!.token}: ${JSON.stringify(answer.body)?.slice(0, 200)}`);
      return token;
    }
    const secret = this.secret();
    if (!this.algorithmIsHmac || secret === undefined) {
      throw new NotOffered('a way to make an expired token', `${this.label} signs its tokens with a key the suite does not have, and its description names no request that answers an expired one (tokens.expired), nor an HMAC secret (tokens.secret)`);
    }
    const token = await valid();
    const claims = decodeJwt(token);
    const header = decodeProtectedHeader(token) as { alg: string };
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, iat: now - 120, exp: now - 60 }).setProtectedHeader({ ...header, alg: this.description?.algorithm ?? header.alg }).sign(Buffer.from(secret));
  }
}
