import { createHmac } from 'node:crypto';

import { canonicalQueryString } from './canonical-query.js';
import { percentEncode } from './percent-encode.js';
import { constantTimeEqual, type SignatureCheck } from './signature-check.js';

/** The one method and version of the v1 scheme that Aliyun clients send. */
export const V1_SIGNATURE_METHOD = 'HMAC-SHA1';
export const V1_SIGNATURE_VERSION = '1.0';

/**
 * `METHOD&%2F&percentEncode(canonicalized)`. `params` are the decoded query and form-body
 * parameters; `Signature` is left out here so callers can pass everything they received.
 * The path is always `/`: RPC clients sign it as a constant, whatever URL they call.
 */
export function stringToSignV1(method: string, params: Readonly<Record<string, string>>): string {
  const signed = Object.fromEntries(Object.entries(params).filter(([key]) => key !== 'Signature'));
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryString(signed))}`;
}

/** Base64(HMAC-SHA1(secret + "&", stringToSign)); the `&` is where a token secret would go. */
export function signV1(secret: string, method: string, params: Readonly<Record<string, string>>): string {
  return hmacSha1(secret, stringToSignV1(method, params));
}

function hmacSha1(secret: string, stringToSign: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** Recomputes the v1 signature and compares it with `params.Signature` in constant time. */
export function verifySignatureV1(
  secret: string,
  method: string,
  params: Readonly<Record<string, string>>,
): SignatureCheck {
  const stringToSign = stringToSignV1(method, params);
  return { matches: constantTimeEqual(hmacSha1(secret, stringToSign), params.Signature ?? ''), stringToSign };
}
