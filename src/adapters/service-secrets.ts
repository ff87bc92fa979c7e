import type { TokenKeyring } from '../domain/verification-token.js';
import { readSetting, type Env } from '../settings.js';
import { boundedCall } from './bounded-call.js';
import { secretsManagerReader, type SecretReader } from './secrets-manager-reader.js';

/** Key material the handlers need. Never logged, never put in an environment variable in AWS. */
export interface ServiceSecrets {
  readonly tokenKeyring: TokenKeyring;
  readonly otpHashKey: Uint8Array;
  /** RPC AccessKeyId -> AccessKeySecret. */
  readonly rpcAccessKeys: ReadonlyMap<string, string>;
}

/**
 * In AWS each secret is named by an `*_SECRET_ARN` variable and read once, at cold start;
 * locally the values come from the environment, with fixed local-only defaults (settings.ts) so the
 * local stack and the CLI agree without set-up. A deployed function never uses those: the stack
 * always points it at Secrets Manager.
 *
 * - TOKEN_SIGNING_SECRET_ARN: JSON `{"kid":"k1","key":"...","previous":[{"kid":"k0","key":"..."}]}`
 * - OTP_HASH_SECRET_ARN: the HMAC key as a plain string
 * - RPC_ACCESS_KEYS_SECRET_ARN: JSON `{"<AccessKeyId>":"<AccessKeySecret>", ...}`
 *
 * The secrets are read in parallel, each with its own connect and answer timeouts and retries
 * (secrets-manager-reader.ts), and within the Secrets Manager cap of aws-clients.ts as a whole,
 * which also drops a read still in flight: an unreachable Secrets Manager fails the cold start in
 * seconds (Lambda then retries the init with the next request) rather than hanging it to the init
 * limit.
 */
export async function loadServiceSecrets(
  env: Env = process.env,
  reader: () => SecretReader = () => secretsManagerReader({ env }),
): Promise<ServiceSecrets> {
  const arns = [env.TOKEN_SIGNING_SECRET_ARN, env.OTP_HASH_SECRET_ARN, env.RPC_ACCESS_KEYS_SECRET_ARN];
  const readSecret = arns.some(Boolean) ? reader() : undefined;
  const read = async (arn: string | undefined): Promise<string | undefined> =>
    arn && readSecret ? boundedCall('secretsManager', 'Secrets Manager GetSecretValue', undefined, (abortSignal) => readSecret(arn, abortSignal)) : undefined;
  const [tokenSecret, otpSecret, rpcSecret] = await Promise.all(arns.map(read));

  return {
    tokenKeyring: tokenSecret !== undefined ? parseTokenKeyring(tokenSecret) : localTokenKeyring(env),
    otpHashKey: encode(otpSecret ?? readSetting(env, 'OTP_HASH_KEY')),
    rpcAccessKeys: rpcSecret !== undefined ? parseAccessKeys(rpcSecret) : localAccessKeys(env),
  };
}

function encode(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function localTokenKeyring(env: Env): TokenKeyring {
  const active = {
    kid: readSetting(env, 'JWT_KEY_ID'),
    secret: encode(readSetting(env, 'JWT_SIGNING_KEY')),
  };
  return { active, accepted: [active] };
}

function localAccessKeys(env: Env): ReadonlyMap<string, string> {
  return new Map([[readSetting(env, 'RPC_ACCESS_KEY_ID'), readSetting(env, 'RPC_ACCESS_KEY_SECRET')]]);
}

export function parseTokenKeyring(secretString: string): TokenKeyring {
  const parsed = JSON.parse(secretString) as { kid?: unknown; key?: unknown; previous?: unknown };
  const keyOf = (entry: { kid?: unknown; key?: unknown }) => {
    if (typeof entry.kid !== 'string' || typeof entry.key !== 'string' || entry.key.length < 32) {
      throw new Error('Token signing secret needs "kid" and a "key" of at least 32 characters');
    }
    return { kid: entry.kid, secret: encode(entry.key) };
  };
  const active = keyOf(parsed);
  const previous = Array.isArray(parsed.previous) ? parsed.previous.map(keyOf) : [];
  return { active, accepted: [active, ...previous] };
}

export function parseAccessKeys(secretString: string): ReadonlyMap<string, string> {
  const parsed = JSON.parse(secretString) as Record<string, unknown>;
  const entries = Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  if (entries.length === 0) throw new Error('RPC access keys secret holds no AccessKeyId -> secret pairs');
  return new Map(entries);
}
