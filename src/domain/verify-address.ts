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
import type { MarkVerifiedOptions, VerificationStore } from './ports.js';
import type { TimeBudget } from './time-budget.js';
import { isLive, liveOtps, type VerificationChannel, type VerificationRecord } from './verification-record.js';

export interface VerifyDependencies {
  readonly store: VerificationStore;
  readonly otps: OtpIssuer;
  readonly clock: () => number;
  readonly settings: {
    readonly maxGuesses: number;
    readonly verifiedRetentionSeconds: number;
  };
}

/** The API a verification came through: kept on the record with the method. */
export type VerifyingApi = VerificationChannel['api'];

/**
 * Verifies an address with a mailed code. The guess is counted before the code is compared,
 * so concurrent guesses can never exceed the limit; a match burns both live codes.
 */
export async function verifyWithCode(
  deps: VerifyDependencies,
  address: EmailAddress,
  code: string,
  api: VerifyingApi,
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
  const verified = await markVerified(deps, address, now, { via: { method: 'code', api }, matchedOtpHash: matched.hash }, budget);
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
  request: { readonly api: VerifyingApi; readonly confirmIp?: string | undefined },
  budget?: TimeBudget,
): Promise<void> {
  const now = deps.clock();
  const via: VerificationChannel = { method: 'link', api: request.api };
  const verified = await markVerified(deps, address, now, request.confirmIp ? { via, confirmIp: request.confirmIp } : { via }, budget);
  if (!verified) {
    explainUnverifiable(await inStage('read-verification', () => deps.store.find(address.key, budget)), now);
    throw new VerificationNotFoundError();
  }
}

function markVerified(
  deps: VerifyDependencies,
  address: EmailAddress,
  now: number,
  options: MarkVerifiedOptions,
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
