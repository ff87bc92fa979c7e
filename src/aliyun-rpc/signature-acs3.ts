import { createHash, createHmac } from 'node:crypto';

import { canonicalQueryString } from './canonical-query.js';
import { percentEncode } from './percent-encode.js';
import { incompleteSignature, shown } from './rpc-errors.js';
import { constantTimeEqual, type SignatureCheck } from './signature-check.js';

/**
 * Aliyun's V3 signature as `@alicloud/openapi-client` sends it (its default algorithm). The SM3
 * and RSA variants of the same family are refused: no client sends them unless told to.
 */
export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/**
 * Headers that must be covered by the signature. Without them a captured request could be
 * replayed with a fresh nonce or date, or its body swapped, and still verify. The client signs
 * all of these (and every other `x-acs-*` header) by default.
 */
export const ACS3_REQUIRED_SIGNED_HEADERS = [
  'host',
  'x-acs-action',
  'x-acs-content-sha256',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-version',
] as const;

export interface Acs3Authorization {
  readonly accessKeyId: string;
  /** Lower-cased, in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  /** Lower-case hex. */
  readonly signature: string;
}

/** True when an `Authorization` header claims the V3 family, supported variant or not. */
export function isAcs3Authorization(header: string | undefined): boolean {
  return header !== undefined && /^ACS3-/i.test(header.trim());
}

/**
 * Reads `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<hex>`. Anything
 * else claiming to be V3 is an incomplete signature: the client meant to sign but we cannot
 * tell what it signed.
 */
export function parseAcs3Authorization(header: string): Acs3Authorization {
  const match = /^(\S+)\s+(.*)$/s.exec(header.trim());
  if (!match) throw incompleteSignature('The Authorization header is malformed.');
  const [, algorithm = '', rest = ''] = match;
  if (algorithm !== ACS3_ALGORITHM) {
    throw incompleteSignature(`The signature algorithm "${shown(algorithm)}" is not supported; use ${ACS3_ALGORITHM}.`);
  }

  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const equals = part.indexOf('=');
    const name = (equals < 0 ? part : part.slice(0, equals)).trim();
    if (equals < 0 || fields.has(name)) throw incompleteSignature('The Authorization header is malformed.');
    fields.set(name, part.slice(equals + 1).trim());
  }

  const accessKeyId = fields.get('Credential') ?? '';
  const signedHeadersText = fields.get('SignedHeaders') ?? '';
  const signature = fields.get('Signature') ?? '';
  if (fields.size !== 3 || accessKeyId === '' || signedHeadersText === '') {
    throw incompleteSignature('The Authorization header needs exactly Credential, SignedHeaders and Signature.');
  }
  if (!/^[0-9a-f]{64}$/i.test(signature)) {
    throw incompleteSignature('The Signature in the Authorization header must be 64 hex digits.');
  }
  const signedHeaders = signedHeadersText.split(';').map((name) => name.trim().toLowerCase());
  if (signedHeaders.some((name) => name === '') || new Set(signedHeaders).size !== signedHeaders.length) {
    throw incompleteSignature('The SignedHeaders in the Authorization header are malformed.');
  }
  return { accessKeyId, signedHeaders, signature: signature.toLowerCase() };
}

/** Lower-case hex SHA-256, the form of `x-acs-content-sha256` and of the canonical request hash. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The path as signed: each decoded segment percent-encoded, slashes kept. RPC clients send `/`,
 * for which this is the identity.
 */
export function canonicalUri(path: string): string {
  if (path === '') return '/';
  return path.split('/').map(percentEncode).join('/');
}

export interface Acs3CanonicalRequestInput {
  readonly method: string;
  /** The decoded request path, e.g. `/`. */
  readonly path: string;
  /** Decoded query parameters only: V3 does not sign form-body parameters one by one. */
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  /** The `x-acs-content-sha256` the client sent (it is what the client signed). */
  readonly hashedPayload: string;
}

/**
 * METHOD \n URI \n query \n `name:value\n`... \n `h1;h2` \n payload hash. Signed headers are
 * sorted here, as the client sorts them, so a client that listed them in another order still
 * gets the canonical form the scheme defines.
 */
export function canonicalRequestAcs3(input: Acs3CanonicalRequestInput): string {
  const names = [...input.signedHeaders].sort();
  const canonicalHeaders = names
    .map((name) => {
      const value = input.headers[name];
      if (value === undefined) throw incompleteSignature(`The signed header "${shown(name)}" is not in the request.`);
      return `${name}:${value.trim()}\n`;
    })
    .join('');
  return [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query),
    canonicalHeaders,
    names.join(';'),
    input.hashedPayload,
  ].join('\n');
}

export function stringToSignAcs3(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

/** hex(HMAC-SHA256(secret, stringToSign)): unlike v1, the secret is used as is, with no `&`. */
export function signAcs3(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

/** Recomputes the V3 signature over `input` and compares it with the received one in constant time. */
export function verifySignatureAcs3(
  secret: string,
  input: Acs3CanonicalRequestInput,
  receivedSignature: string,
): SignatureCheck {
  const stringToSign = stringToSignAcs3(canonicalRequestAcs3(input));
  return {
    matches: constantTimeEqual(signAcs3(secret, stringToSign), receivedSignature.toLowerCase()),
    stringToSign,
  };
}
