import type { Lang } from './lang.js';
import type { QuotaPolicy } from './quota.js';
import type { TimeBudget } from './time-budget.js';
import type { SentCode, StoredOtp, VerificationChannel, VerificationRecord } from './verification-record.js';

/*
 * Every port method takes the request's time budget last. An adapter gives up when it ends (or
 * at its own per-call cap, whichever is sooner) and throws a DependencyTimeoutError; without a
 * budget only the per-call cap applies.
 */

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
  /** With dropPreviousCode: the guess count the record must still have (the send resets it). */
  readonly expectedGuesses?: number;
}

/** A recorded send, with what is needed to take it back. */
export interface SendReceipt {
  readonly key: string;
  /** The send's entry in the send log. */
  readonly sentAt: number;
  /** The send's entry in the log's codes. */
  readonly sent: SentCode;
  /** The record just before the send; undefined when the send created it. */
  readonly before: VerificationRecord | undefined;
  /** The log and codes as the send left them. */
  readonly after: SendLogState;
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

/** A send log and its codes, as one unit: they are always written together. */
export interface SendLogState {
  readonly sendLog: readonly number[];
  readonly sentCodes: readonly (SentCode | undefined)[];
}

/**
 * Takes one send back, as planned by send-undo.ts from the record as it was last seen. A store
 * applies it as one conditional write, only while the record is pending and its log and codes
 * are still exactly `seen`; otherwise it refuses and returns the record, to plan again.
 */
export interface SendUndo {
  readonly key: string;
  readonly seen: SendLogState;
  readonly change:
    /** No send remains: the undone send created the record. */
    | { readonly kind: 'delete' }
    | (SendLogState & {
        readonly kind: 'update';
        /** The live codes afterwards; absent when they stay as they are. */
        readonly liveCodes?: { readonly current: StoredOtp; readonly previous?: StoredOtp };
        /** Added to the guess count: the guesses the undone send's reset wiped. */
        readonly addGuesses: number;
        /** The undone send was the latest: what it overwrote, as it was before it. */
        readonly restore?: {
          readonly lang: Lang;
          readonly updatedAt: number;
          readonly expiresAt: number;
          readonly lastSendIp?: string;
        };
      });
}

export type UndoOutcome =
  | { readonly kind: 'undone' }
  | { readonly kind: 'refused'; readonly current: VerificationRecord | undefined };

/**
 * Storage of verification records. Every method is one conditional DynamoDB call (or its
 * equivalent), so concurrent callers can never push a record past its limits.
 */
export interface VerificationStore {
  /** Creates a pending record with its first send, if no live record holds the key. */
  createPending(command: SendCommand, budget?: TimeBudget): Promise<SendOutcome>;
  /** Records a resend on a live pending record within quota: the one write of a resend. */
  recordResend(command: SendCommand, budget?: TimeBudget): Promise<SendOutcome>;
  /**
   * Rewrites a send log written under another policy (or before codes were logged) as
   * `replacement`, if it is still `expected` (codes undefined: not logged yet).
   */
  reshapeSendLog(
    key: string,
    expected: { readonly sendLog: readonly number[]; readonly sentCodes: SendLogState['sentCodes'] | undefined },
    replacement: SendLogState,
    budget?: TimeBudget,
  ): Promise<void>;
  /** Applies one planned undo of a send (see SendUndo). */
  undoSend(undo: SendUndo, budget?: TimeBudget): Promise<UndoOutcome>;
  /** Counts one guess against a live pending record, unless its guesses are used up. */
  reserveGuess(key: string, maxGuesses: number, now: number, budget?: TimeBudget): Promise<GuessOutcome>;
  /**
   * Marks a live pending record verified, burning its codes and keeping how (`via`). With
   * `matchedOtpHash`, only if that code is still one of the record's; returns false when the
   * condition refused it.
   */
  markVerified(key: string, now: number, verifiedExpiresAt: number, options: MarkVerifiedOptions, budget?: TimeBudget): Promise<boolean>;
  /** A strongly consistent read of one record. */
  find(key: string, budget?: TimeBudget): Promise<VerificationRecord | undefined>;
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
  send(mail: OutgoingMail, budget?: TimeBudget): Promise<void>;
}

/** Counters with a hard limit, for request-level abuse limits (per account, per client IP). */
export interface LimitCounters {
  /** Takes up to `wanted` units from the counter without passing `limit`; returns how many it got. */
  take(counterKey: string, wanted: number, limit: number, expiresAt: number, budget?: TimeBudget): Promise<number>;
  /** Gives back units taken but not used. */
  giveBack(counterKey: string, units: number, budget?: TimeBudget): Promise<void>;
}

export interface NonceRegistry {
  /** Claims a nonce once; false if it was already claimed and has not expired. */
  claim(scope: string, nonce: string, now: number, expiresAt: number, budget?: TimeBudget): Promise<boolean>;
}
