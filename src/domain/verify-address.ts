import type { EmailAddress } from './address.js';
import {
  AlreadyVerifiedError,
  CodeExpiredError,
  TooManyAttemptsError,
  VerificationNotFoundError,
  WrongCodeError,
  inStage,
} from './errors.js';
import type { OtpIssuer } from './otp.js';
import type { VerificationStore } from './ports.js';
import type { TimeBudget } from './time-budget.js';
import { isLive, liveOtps, type VerificationRecord } from './verification-record.js';

export interface VerifyDependencies {
  readonly store: VerificationStore;
  readonly otps: OtpIssuer;
  readonly clock: () => number;
  readonly settings: {
    readonly maxGuesses: number;
    readonly verifiedRetentionSeconds: number;
  };
}

/**
 * Verifies an address with a mailed code. The guess is counted before the code is compared,
 * so concurrent guesses can never exceed the limit; a match burns both live codes.
 */
export async function verifyWithCode(
  deps: VerifyDependencies,
  address: EmailAddress,
  code: string,
  budget?: TimeBudget,
): Promise<void> {
  const now = deps.clock();
  const reservation = await inStage('save-verification', () =>
    deps.store.reserveGuess(address.key, deps.settings.maxGuesses, now, budget),
  );
  if (reservation.kind === 'refused') {
    explainUnverifiable(reservation.current, now);
    throw new TooManyAttemptsError();
  }
  const record = reservation.record;
  const live = liveOtps(record, now);
  if (live.length === 0) throw new CodeExpiredError();
  const matched = deps.otps.match(code, address.key, live);
  if (!matched) throw new WrongCodeError(Math.max(0, deps.settings.maxGuesses - record.guesses));
  const verified = await markVerified(deps, address, now, { matchedOtpHash: matched.hash }, budget);
  if (!verified) {
    explainUnverifiable(await inStage('read-verification', () => deps.store.find(address.key, budget)), now);
    // Still pending, but two newer sends have replaced the matched code since it was read.
    throw new CodeExpiredError();
  }
}

/** Verifies an address on the strength of a valid link token (the token proves the mailbox). */
export async function verifyByLink(
  deps: VerifyDependencies,
  address: EmailAddress,
  confirmIp: string | undefined,
  budget?: TimeBudget,
): Promise<void> {
  const now = deps.clock();
  const verified = await markVerified(deps, address, now, confirmIp ? { confirmIp } : {}, budget);
  if (!verified) {
    explainUnverifiable(await inStage('read-verification', () => deps.store.find(address.key, budget)), now);
    throw new VerificationNotFoundError();
  }
}

function markVerified(
  deps: VerifyDependencies,
  address: EmailAddress,
  now: number,
  options: { matchedOtpHash?: string; confirmIp?: string },
  budget: TimeBudget | undefined,
): Promise<boolean> {
  const keepUntil = now + deps.settings.verifiedRetentionSeconds * 1000;
  return inStage('save-verification', () => deps.store.markVerified(address.key, now, keepUntil, options, budget));
}

/** Throws why a record cannot be verified, if it is absent, expired or already verified. */
function explainUnverifiable(current: VerificationRecord | undefined, now: number): asserts current is VerificationRecord {
  if (!isLive(current, now)) throw new VerificationNotFoundError();
  if (current.status === 'verified') throw new AlreadyVerifiedError();
}
