import type { Lang } from './lang.js';
import type { QuotaPolicy } from './quota.js';
import type { StoredOtp, VerificationChannel, VerificationRecord } from './verification-record.js';

/** What a store needs to record one send: the quota check, the counter and the new code. */
export interface SendCommand {
  readonly key: string;
  readonly address: string;
  readonly lang: Lang;
  readonly otp: StoredOtp;
  readonly policy: QuotaPolicy;
  readonly now: number;
  /** When the record may be deleted once this send is recorded. */
  readonly recordExpiresAt: number;
  readonly clientIp?: string;
  /** The RPC access key asking; kept only by the send that creates the record (who submitted it). */
  readonly submittedBy?: string;
  /**
   * Resend only. By default the current code stays live as the previous one, on condition that
   * no wrong guess was made against the live codes; with this set, the previous code is dropped.
   */
  readonly dropPreviousCode?: boolean;
}

/** What the store needs to undo one recorded send: the record as it was before it. */
export interface SendReceipt {
  readonly key: string;
  readonly sentOtpHash: string;
  readonly before: Readonly<Record<string, unknown>> | undefined;
}

export type SendOutcome =
  | {
      readonly kind: 'recorded';
      readonly receipt: SendReceipt;
      /**
       * A resend that kept the code mailed before as the previous one: when that code expires
       * (epoch ms). Absent when there was none, or the resend retired it.
       */
      readonly previousCodeExpiresAt?: number;
    }
  /** The condition refused the write; `current` is the record as it stood (undefined if absent). */
  | { readonly kind: 'refused'; readonly current: VerificationRecord | undefined };

export type GuessOutcome =
  | { readonly kind: 'reserved'; readonly record: VerificationRecord }
  | { readonly kind: 'refused'; readonly current: VerificationRecord | undefined };

/**
 * Storage of verification records. Every method is one conditional DynamoDB call (or its
 * equivalent), so concurrent callers can never push a record past its limits.
 */
export interface VerificationStore {
  /** Creates a pending record with its first send, if no live record holds the key. */
  createPending(command: SendCommand): Promise<SendOutcome>;
  /** Records a resend on a live pending record within quota: the one write of a resend. */
  recordResend(command: SendCommand): Promise<SendOutcome>;
  /** Swaps a send log written under another policy for `replacement`, if still `expected`. */
  replaceSendLog(key: string, expected: readonly number[], replacement: readonly number[]): Promise<void>;
  /** Puts the record back as it was before `receipt`'s send, unless something newer landed. */
  revertSend(receipt: SendReceipt): Promise<void>;
  /** Counts one guess against a live pending record, unless its guesses are used up. */
  reserveGuess(key: string, maxGuesses: number, now: number): Promise<GuessOutcome>;
  /**
   * Marks a live pending record verified, burning its codes and keeping how (`via`). With
   * `matchedOtpHash`, only if that code is still one of the record's; returns false when the
   * condition refused it.
   */
  markVerified(key: string, now: number, verifiedExpiresAt: number, options: MarkVerifiedOptions): Promise<boolean>;
  /** A strongly consistent read of one record. */
  find(key: string): Promise<VerificationRecord | undefined>;
}

export interface MarkVerifiedOptions {
  readonly via: VerificationChannel;
  readonly matchedOtpHash?: string;
  readonly confirmIp?: string;
}

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** Counters with a hard limit, for request-level abuse limits (per account, per client IP). */
export interface LimitCounters {
  /** Takes up to `wanted` units from the counter without passing `limit`; returns how many it got. */
  take(counterKey: string, wanted: number, limit: number, expiresAt: number): Promise<number>;
  /** Gives back units taken but not used. */
  giveBack(counterKey: string, units: number): Promise<void>;
}

export interface NonceRegistry {
  /** Claims a nonce once; false if it was already claimed and has not expired. */
  claim(scope: string, nonce: string, now: number, expiresAt: number): Promise<boolean>;
}
