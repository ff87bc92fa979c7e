import { createHmac, createSecretKey, randomBytes, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { StoredOtp } from './verification-record.js';

export const OTP_DIGITS = 6;

/**
 * Stored sizes: a 128-bit HMAC-SHA256 prefix (RFC 2104 allows truncation to half the output;
 * guessing is bounded by the guess limit, not the hash) and a 96-bit salt. A record keeps up to
 * seven codes (the live two and one per send of the window), so these sizes keep it within one
 * DynamoDB write unit. A full-length hash stored before still matches.
 */
const HASH_BYTES = 16;
const FULL_HASH_BYTES = 32;
const SALT_BYTES = 12;

/** A CSPRNG source of integers in [0, max); injectable so a failing entropy source can be tested. */
export type RandomInteger = (max: number) => number;

export interface IssuedOtp {
  /** The code to mail: exists only in memory and in the mail. */
  readonly code: string;
  readonly stored: StoredOtp;
}

export class OtpIssuer {
  // A KeyObject made once: createHmac then takes the key as it is instead of copying raw bytes each time.
  private readonly hashKey: KeyObject;

  constructor(
    hashKey: Uint8Array,
    private readonly ttlSeconds: number,
    private readonly random: RandomInteger = randomInt,
  ) {
    this.hashKey = createSecretKey(hashKey);
  }

  issue(addressKey: string, now: number): IssuedOtp {
    const code = String(this.random(10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
    const salt = randomBytes(SALT_BYTES).toString('base64url');
    const hash = this.digestOf(code, salt, addressKey).subarray(0, HASH_BYTES).toString('base64url');
    return { code, stored: { hash, salt, expiresAt: now + this.ttlSeconds * 1000 } };
  }

  /** The live code `code` matches, if any; every candidate is compared in constant time. */
  match(code: string, addressKey: string, candidates: readonly StoredOtp[]): StoredOtp | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    let matched: StoredOtp | undefined;
    for (const candidate of candidates) {
      const expected = Buffer.from(candidate.hash, 'base64url');
      if (expected.length !== HASH_BYTES && expected.length !== FULL_HASH_BYTES) continue;
      const actual = this.digestOf(code, candidate.salt, addressKey).subarray(0, expected.length);
      if (timingSafeEqual(expected, actual)) matched = candidate;
    }
    return matched;
  }

  private digestOf(code: string, salt: string, addressKey: string): Buffer {
    // Binding the address means a hash copied onto another record never matches there.
    return createHmac('sha256', this.hashKey).update(`${salt}\u0000${addressKey}\u0000${code}`).digest();
  }
}
