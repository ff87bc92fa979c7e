import { createHmac, createSecretKey, randomBytes, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { StoredOtp } from './verification-record.js';

export const OTP_DIGITS = 6;

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
    const salt = randomBytes(16).toString('base64url');
    return {
      code,
      stored: { hash: this.hashOf(code, salt, addressKey), salt, expiresAt: now + this.ttlSeconds * 1000 },
    };
  }

  /** The live code `code` matches, if any; every candidate is compared in constant time. */
  match(code: string, addressKey: string, candidates: readonly StoredOtp[]): StoredOtp | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    let matched: StoredOtp | undefined;
    for (const candidate of candidates) {
      const expected = Buffer.from(candidate.hash, 'base64url');
      const actual = Buffer.from(this.hashOf(code, candidate.salt, addressKey), 'base64url');
      if (expected.length === actual.length && timingSafeEqual(expected, actual)) matched = candidate;
    }
    return matched;
  }

  private hashOf(code: string, salt: string, addressKey: string): string {
    // Binding the address means a hash copied onto another record never matches there.
    return createHmac('sha256', this.hashKey).update(`${salt}\u0000${addressKey}\u0000${code}`).digest('base64url');
  }
}
