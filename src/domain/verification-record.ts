import type { Lang } from './lang.js';

export type VerificationStatus = 'pending' | 'verified';

/**
 * How an address was verified: by a mailed code or a mailed link, through which API. Kept on the
 * record, so whoever reads it later (the EmailVerified event above all) knows without asking.
 */
export interface VerificationChannel {
  readonly method: 'code' | 'link';
  readonly api: 'iam' | 'rpc';
}

/** One issued code as stored: never the code itself, only its keyed hash. */
export interface StoredOtp {
  readonly hash: string;
  readonly salt: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * What one send left in its slot of the send log. Taking a send back removes its slot; these let
 * the record then say exactly which codes are live, whatever else landed in between.
 */
export interface SentCode {
  readonly otp: StoredOtp;
  /** The send kept the code before it live as the previous code (no wrong guess had been made). */
  readonly keptPrevious: boolean;
  /** Wrong guesses counted since the send before it: the count this send reset. */
  readonly guessesBefore: number;
}

/** The state of one address, shared by both APIs. All times are epoch milliseconds. */
export interface VerificationRecord {
  /** The lower-cased whole address: the record key. */
  readonly key: string;
  /** The normalised address mail goes to (local part as given, domain lower-cased/punycode). */
  readonly address: string;
  readonly status: VerificationStatus;
  readonly lang: Lang;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly verifiedAt?: number;
  /** How it was verified; absent on records verified before this was kept. */
  readonly verifiedVia?: VerificationChannel;
  /** The RPC access key whose submit created the record; absent when it was started elsewhere. */
  readonly submittedBy?: string;
  readonly currentOtp?: StoredOtp;
  readonly previousOtp?: StoredOtp;
  /** Guesses made against the live codes since the last send. */
  readonly guesses: number;
  /** Times of the most recent sends, oldest first, one slot per allowed send in a window. */
  readonly sendLog: readonly number[];
  /**
   * Aligned with `sendLog`: the code each logged send mailed (undefined for an empty slot).
   * Absent on records written before codes were logged; the next send fills it in.
   */
  readonly sentCodes?: readonly (SentCode | undefined)[];
  /** When DynamoDB may delete the item; past this the record counts as absent. */
  readonly expiresAt: number;
  readonly lastSendIp?: string;
  readonly confirmIp?: string;
}

/** A stored item could not be read back as a record: which part of it was unreadable. */
export class CorruptRecordError extends Error {
  constructor(
    readonly part: 'verification' | 'quota-state',
    detail: string,
  ) {
    super(`Stored ${part} is unreadable: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

/** TTL deletion runs late, so presence proves nothing: only the record's own times do. */
export function isLive(record: VerificationRecord | undefined, now: number): record is VerificationRecord {
  return record !== undefined && record.expiresAt > now;
}

export function liveOtps(record: VerificationRecord, now: number): StoredOtp[] {
  return [record.currentOtp, record.previousOtp].filter(
    (otp): otp is StoredOtp => otp !== undefined && otp.expiresAt > now,
  );
}
