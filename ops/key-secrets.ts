/**
 * The three key secrets of a deployed stack, read and changed the documented way:
 * - token signing key `{"kid","key","previous":[...]}`: a rotation adds a new kid and moves the
 *   current key to `previous`, where it keeps verifying the tokens and links it signed;
 * - RPC access keys `{"<AccessKeyId>":"<secret>",...}`: a new AccessKeyId goes in next to the
 *   others, and an old one is removed once its client has moved;
 * - OTP hash key: shown as a length only, never changed here (rotating it voids the codes in flight).
 *
 * Functions read the secrets once per cold start, so a change reaches new function instances;
 * warm ones keep what they read.
 */
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseAccessKeys, parseTokenKeyring } from '../src/adapters/service-secrets.js';
import { SETTINGS } from '../src/settings.js';

export type SecretName = 'tokenSigning' | 'otpHash' | 'rpcAccessKeys';

/** The stack outputs that name each secret. */
export const SECRET_OUTPUTS: Readonly<Record<SecretName, string>> = {
  tokenSigning: 'TokenSigningSecretArn',
  otpHash: 'OtpHashSecretArn',
  rpcAccessKeys: 'RpcAccessKeysSecretArn',
};

export interface TokenKeyEntry {
  readonly kid: string;
  readonly key: string;
  /** When it stopped signing (ISO 8601); absent on entries written by hand. */
  readonly retiredAt?: string;
}

export interface TokenSigningSecret extends TokenKeyEntry {
  readonly previous: readonly TokenKeyEntry[];
}

/** What a previous key must outlive: the longest any token or mailed link it signed can live. */
export const RETIRED_KEY_KEEP_SECONDS = Math.max(SETTINGS.TOKEN_TTL_SECONDS.max, SETTINGS.OTP_TTL_SECONDS.max);

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ACCESS_KEY_ID = /^[A-Za-z0-9._-]{3,64}$/;

/** Random letters and digits, as Secrets Manager generated the first keys (no punctuation). */
export function randomKey(length: number): string {
  let key = '';
  while (key.length < length) {
    // Rejection sampling keeps every character equally likely.
    for (const byte of randomBytes(length)) if (byte < 248 && key.length < length) key += ALPHANUMERIC[byte % 62];
  }
  return key;
}

export function parseTokenSigningSecret(text: string): TokenSigningSecret {
  // The service's own parser first: what it refuses, the functions would refuse at cold start.
  parseTokenKeyring(text);
  const parsed = JSON.parse(text) as { kid: string; key: string; previous?: TokenKeyEntry[] };
  return { kid: parsed.kid, key: parsed.key, previous: Array.isArray(parsed.previous) ? parsed.previous : [] };
}

/**
 * A new signing key under the next kid; the current one moves to the front of `previous`, and
 * previous keys retired longer ago than anything they signed can live are dropped.
 */
export function rotatedTokenSecret(current: TokenSigningSecret, now: Date): { secret: TokenSigningSecret; dropped: string[] } {
  const kids = new Set([current.kid, ...current.previous.map((entry) => entry.kid)]);
  const numbered = /^k(\d+)$/.exec(current.kid);
  let kid = numbered ? `k${Number(numbered[1]) + 1}` : `k${now.getTime()}`;
  while (kids.has(kid)) kid = `${kid}x`;
  const keepAfter = now.getTime() - RETIRED_KEY_KEEP_SECONDS * 1000;
  const kept = current.previous.filter((entry) => entry.retiredAt === undefined || Date.parse(entry.retiredAt) >= keepAfter);
  const dropped = current.previous.filter((entry) => !kept.includes(entry)).map((entry) => entry.kid);
  return {
    secret: {
      kid,
      key: randomKey(64),
      previous: [{ kid: current.kid, key: current.key, retiredAt: now.toISOString() }, ...kept],
    },
    dropped,
  };
}

export function parseRpcAccessKeys(text: string): Record<string, string> {
  return Object.fromEntries(parseAccessKeys(text));
}

/** A fresh AccessKeyId (`rpc-<date>-<random>`, or the one asked for) and a 40-character secret. */
export function newRpcAccessKey(existing: Readonly<Record<string, string>>, now: Date, wantedId?: string) {
  const accessKeyId = wantedId ?? `rpc-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  if (!ACCESS_KEY_ID.test(accessKeyId)) throw new Error(`an AccessKeyId is 3 to 64 letters, digits, ".", "_" or "-": got "${accessKeyId}"`);
  if (Object.hasOwn(existing, accessKeyId)) throw new Error(`AccessKeyId ${accessKeyId} is already in the secret`);
  return { accessKeyId, accessKeySecret: randomKey(40) };
}

export function withoutRpcAccessKey(existing: Readonly<Record<string, string>>, accessKeyId: string): Record<string, string> {
  if (!Object.hasOwn(existing, accessKeyId)) throw new Error(`AccessKeyId ${accessKeyId} is not in the secret (it has ${Object.keys(existing).join(', ')})`);
  const rest = Object.fromEntries(Object.entries(existing).filter(([id]) => id !== accessKeyId));
  if (Object.keys(rest).length === 0) throw new Error(`${accessKeyId} is the only access key: add another one first, or no client could call the RPC API`);
  return rest;
}

/** `****abcd` */
export function masked(secret: string): string {
  return `****${secret.slice(-4)}`;
}

export interface StoredSecret {
  readonly arn: string;
  readonly text: string;
  readonly versionId?: string;
  readonly createdDate?: Date;
}

export async function readSecret(client: SecretsManagerClient, arn: string): Promise<StoredSecret> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (result.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
  return {
    arn,
    text: result.SecretString,
    ...(result.VersionId ? { versionId: result.VersionId } : {}),
    ...(result.CreatedDate ? { createdDate: result.CreatedDate } : {}),
  };
}

/**
 * Writes a new current version. The request token makes a retried call (the SDK retries on a
 * network error) land once; the value read before is AWSPREVIOUS afterwards, so an operator can
 * go back with `aws secretsmanager update-secret-version-stage`.
 */
export async function writeSecret(client: SecretsManagerClient, arn: string, value: unknown, requestToken: string): Promise<string | undefined> {
  const result = await client.send(
    new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(value), ClientRequestToken: requestToken }),
  );
  return result.VersionId;
}
