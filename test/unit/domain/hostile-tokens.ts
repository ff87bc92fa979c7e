/**
 * Email verification tokens for attacking a reader: each differs from a token the reader accepts
 * (`controlToken`) in one respect. Built with jose where jose can build them and by hand where
 * it refuses to (alg none, bad base64, a kid paired with another key's secret...).
 * Used by the unit tests of VerificationTokens and by the HTTP tests of the IAM handler.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { TOKEN_KINDS, type TokenKeyring } from '../../../src/domain/verification-token.js';

export interface TokenContext {
  readonly keyring: TokenKeyring;
  readonly issuer: string;
  readonly audience: string;
  /** Epoch ms the reader will be asked at. */
  readonly now: number;
  /** The address as the token carries it (`email`) and its record key (`sub`). */
  readonly address: string;
  readonly key: string;
}

export interface HostileToken {
  readonly name: string;
  readonly token: string;
  /** What the reader must answer: invalid (406) or expired (407). */
  readonly expect: 'invalid' | 'expired';
}

type Json = Record<string, unknown>;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const encodeJson = (value: unknown) => b64url(JSON.stringify(value));

/** A compact JWS over exactly the given header and payload, HMAC-signed by hand. */
export function handSigned(header: Json, payload: Json, secret: Uint8Array, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

export function validHeader(context: TokenContext, typ: string = TOKEN_KINDS.session): Json {
  return { alg: 'HS256', kid: context.keyring.active.kid, typ };
}

export function validPayload(context: TokenContext, overrides: Json = {}): Json {
  const iat = Math.floor(context.now / 1000);
  return {
    email: context.address,
    sub: context.key,
    iss: context.issuer,
    aud: context.audience,
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    ...overrides,
  };
}

/** A token the reader accepts, built by hand: proof the variants below fail for their one change. */
export function controlToken(context: TokenContext, payloadOverrides: Json = {}): string {
  return handSigned(validHeader(context), validPayload(context, payloadOverrides), context.keyring.active.secret);
}

const without = (value: Json, name: string): Json => Object.fromEntries(Object.entries(value).filter(([key]) => key !== name));

export async function hostileTokens(context: TokenContext): Promise<HostileToken[]> {
  const secret = context.keyring.active.secret;
  const header = validHeader(context);
  const payload = validPayload(context);
  const nowSeconds = Math.floor(context.now / 1000);
  const expiredPayload = validPayload(context, { iat: nowSeconds - 7200, exp: nowSeconds - 3600 });
  const wrongSecret = new TextEncoder().encode('not-the-signing-key-but-just-as-long-0000000000');
  const control = controlToken(context);
  const [controlHeader, controlPayload] = control.split('.') as [string, string, string];

  const rsa = await generateKeyPair('RS256');
  const rs256 = await new SignJWT(payload).setProtectedHeader({ ...header, alg: 'RS256' }).sign(rsa.privateKey);
  const unsecured = new UnsecuredJWT(payload).encode(); // jose's own alg:none token (no kid, no typ)

  const invalid = (name: string, token: string): HostileToken => ({ name, token, expect: 'invalid' });
  return [
    invalid('alg none, by hand, signature empty', `${encodeJson({ ...header, alg: 'none' })}.${encodeJson(payload)}.`),
    invalid('alg none, by hand, HS256 signature kept', `${encodeJson({ ...header, alg: 'none' })}.${control.split('.').slice(1).join('.')}`),
    invalid('alg "None"', handSigned({ ...header, alg: 'None' }, payload, secret)),
    invalid('alg none, built by jose', unsecured),
    invalid('HS512 with the signing key', handSigned({ ...header, alg: 'HS512' }, payload, secret, 'sha512')),
    invalid('HS384 with the signing key', handSigned({ ...header, alg: 'HS384' }, payload, secret, 'sha384')),
    invalid('RS256 with a key of its own', rs256),
    invalid('alg missing', handSigned(without(header, 'alg'), payload, secret)),
    invalid('signed with another secret', handSigned(header, payload, wrongSecret)),
    invalid('signature stripped', `${controlHeader}.${controlPayload}.`),
    invalid('signature of another token', `${controlHeader}.${encodeJson({ ...payload, email: 'x' })}.${control.split('.')[2]}`),
    invalid('payload changed after signing', `${controlHeader}.${encodeJson(validPayload(context, { exp: nowSeconds + 999_999 }))}.${control.split('.')[2]}`),
    invalid('typ missing', handSigned(without(header, 'typ'), payload, secret)),
    invalid('typ JWT', handSigned({ ...header, typ: 'JWT' }, payload, secret)),
    invalid('the link token typ used as a session token', handSigned({ ...header, typ: TOKEN_KINDS.link }, payload, secret)),
    invalid('wrong iss', handSigned(header, { ...payload, iss: 'someone-else' }, secret)),
    invalid('iss missing', handSigned(header, without(payload, 'iss'), secret)),
    invalid('wrong aud', handSigned(header, { ...payload, aud: 'another-api' }, secret)),
    invalid('aud missing', handSigned(header, without(payload, 'aud'), secret)),
    invalid('garbage', 'garbage'),
    invalid('two parts', `${controlHeader}.${controlPayload}`),
    invalid('four parts', `${control}.${controlPayload}`),
    invalid('bad base64 in the header', `${controlHeader.slice(0, -2)}!*.${controlPayload}.${control.split('.')[2]}`),
    invalid('header not JSON', `${b64url('{"alg":"HS256",')}.${controlPayload}.${control.split('.')[2]}`),
    invalid('payload not JSON', handSignedRaw(encodeJson(header), b64url('not json'), secret)),
    invalid('payload a JSON array', handSignedRaw(encodeJson(header), encodeJson([payload]), secret)),
    invalid('oversized (> 4096 characters), correctly signed', handSigned(header, { ...payload, pad: 'x'.repeat(4096) }, secret)),
    invalid('unknown kid', handSigned({ ...header, kid: 'no-such-key' }, payload, secret)),
    invalid('kid missing', handSigned(without(header, 'kid'), payload, secret)),
    invalid('kid not a string', handSigned({ ...header, kid: 7 }, payload, secret)),
    invalid('unknown crit header', handSigned({ ...header, crit: ['x-must-understand'], 'x-must-understand': true }, payload, secret)),
    invalid('sub does not match email', handSigned(header, { ...payload, sub: `other-${context.key}` }, secret)),
    invalid('email missing', handSigned(header, without(payload, 'email'), secret)),
    invalid('email not an address', handSigned(header, { ...payload, email: 'not-an-address', sub: 'not-an-address' }, secret)),
    invalid('email with a header injection', handSigned(header, { ...payload, email: `${context.address}\r\nBcc: x@example.com` }, secret)),
    invalid('sub missing', handSigned(header, without(payload, 'sub'), secret)),
    invalid('jti missing', handSigned(header, without(payload, 'jti'), secret)),
    invalid('exp missing', handSigned(header, without(payload, 'exp'), secret)),
    invalid('exp not a number', handSigned(header, { ...payload, exp: String(payload.exp) }, secret)),
    invalid('iat missing', handSigned(header, without(payload, 'iat'), secret)),
    invalid('not valid yet (nbf in the future)', handSigned(header, { ...payload, nbf: nowSeconds + 600 }, secret)),
    invalid('expired and signed with another secret', handSigned(header, expiredPayload, wrongSecret)),
    invalid('expired and of an unknown kid', handSigned({ ...header, kid: 'no-such-key' }, expiredPayload, secret)),
    invalid('expired and alg none', `${encodeJson({ ...header, alg: 'none' })}.${encodeJson(expiredPayload)}.`),
    invalid('expired and of the link typ', handSigned({ ...header, typ: TOKEN_KINDS.link }, expiredPayload, secret)),
    invalid('expired and of another audience', handSigned(header, { ...expiredPayload, aud: 'another-api' }, secret)),
    { name: 'expired, correctly signed', token: handSigned(header, expiredPayload, secret), expect: 'expired' },
    { name: 'expired by one second, correctly signed', token: handSigned(header, validPayload(context, { exp: nowSeconds - 1 }), secret), expect: 'expired' },
  ];
}

function handSignedRaw(encodedHeader: string, encodedPayload: string, secret: Uint8Array): string {
  const input = `${encodedHeader}.${encodedPayload}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
