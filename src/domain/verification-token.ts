import { randomUUID, webcrypto } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { normalizeEmailAddress, type EmailAddress } from './address.js';
import { ExpiredTokenError, InvalidTokenError } from './errors.js';

export interface SigningKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/** Signs with `active`; verifies with any key still listed, so keys can rotate by kid. */
export interface TokenKeyring {
  readonly active: SigningKey;
  readonly accepted: readonly SigningKey[];
}

/** The two kinds of token: each a distinct `typ`, so one can never stand in for the other. */
export const TOKEN_KINDS = {
  /** Bearer token of the IAM API: identifies a pending sign-up. */
  session: 'email-verification+jwt',
  /** Carried by the mailed link: verifies the address when followed. */
  link: 'email-verification-link+jwt',
} as const;

export type TokenKind = keyof typeof TOKEN_KINDS;

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export interface TokenClaims extends EmailAddress {
  readonly jti: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

// Real tokens are a few hundred bytes; refusing big ones early bounds the work a hostile one costs.
const MAX_TOKEN_LENGTH = 4096;

/**
 * Given raw bytes, jose imports them as a WebCrypto key on every sign and verify; a key imported
 * once and kept takes about 35 µs off each (a third of a token's cost on Node 24).
 */
function hmacKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  const key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  // A failed import surfaces where the key is used; it is not an unhandled rejection before that.
  key.catch(() => undefined);
  return key;
}

export class VerificationTokens {
  private readonly typ: string;
  private readonly keysById: ReadonlyMap<string, Promise<webcrypto.CryptoKey>>;
  private readonly activeKey: Promise<webcrypto.CryptoKey>;

  constructor(
    private readonly keyring: TokenKeyring,
    private readonly settings: TokenSettings,
    kind: TokenKind,
  ) {
    this.typ = TOKEN_KINDS[kind];
    this.keysById = new Map(keyring.accepted.map((key) => [key.kid, hmacKey(key.secret)]));
    this.activeKey = this.keysById.get(keyring.active.kid) ?? hmacKey(keyring.active.secret);
  }

  async issue(address: EmailAddress, now: number): Promise<string> {
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT({ email: address.address })
      .setProtectedHeader({ alg: 'HS256', kid: this.keyring.active.kid, typ: this.typ })
      .setSubject(address.key)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(await this.activeKey);
  }

  /** The claims of a valid token of this kind; InvalidTokenError or ExpiredTokenError otherwise. */
  async read(token: string, now: number): Promise<TokenClaims> {
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('oversized');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: this.typ,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      }));
    } catch (error) {
      // jose checks the signature before the claims, so an expired token here is an authentic one.
      if (error instanceof errors.JWTExpired) throw new ExpiredTokenError(addressOf(error.payload));
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(error instanceof errors.JOSEError ? error.code : 'malformed', { cause: error });
    }
    if (typeof payload.email !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
      throw new InvalidTokenError('missing claims');
    }
    let address: EmailAddress;
    try {
      address = normalizeEmailAddress(payload.email);
    } catch {
      throw new InvalidTokenError('bad email claim');
    }
    if (address.key !== payload.sub) throw new InvalidTokenError('subject does not match email');
    return { ...address, jti: payload.jti, expiresAt: payload.exp * 1000 };
  }

  private keyFor(header: JWTHeaderParameters): Promise<webcrypto.CryptoKey> {
    const key = header.kid === undefined ? undefined : this.keysById.get(header.kid);
    if (!key) throw new InvalidTokenError('unknown kid');
    return key;
  }
}

/** The address in an authentic token's claims, if they name one consistently. */
function addressOf(payload: Record<string, unknown>): string | undefined {
  if (typeof payload.email !== 'string') return undefined;
  try {
    const address = normalizeEmailAddress(payload.email);
    return address.key === payload.sub ? address.address : undefined;
  } catch {
    return undefined;
  }
}
