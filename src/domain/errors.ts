import { CorruptRecordError } from './verification-record.js';

/**
 * Every failure the domain can report, as a value with a stable `code`.
 * Each API maps these to its wire format in exactly one place.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidAddressError extends DomainError {
  readonly code = 'ADDRESS_INVALID';
  constructor(reason: string) {
    super(`Invalid email address: ${reason}`);
  }
}

export class VerificationNotFoundError extends DomainError {
  readonly code = 'VERIFICATION_NOT_FOUND';
  constructor() {
    super('No pending email verification for this address.');
  }
}

export class AlreadyVerifiedError extends DomainError {
  readonly code = 'ALREADY_VERIFIED';
  constructor() {
    super('The email address is already verified.');
  }
}

export class VerificationPendingError extends DomainError {
  readonly code = 'VERIFICATION_PENDING';
  constructor() {
    super('A verification mail for this address is already pending.');
  }
}

/** A request-level abuse limit (per account, per client IP) left no room for this address. */
export class SendLimitError extends DomainError {
  readonly code = 'SEND_LIMIT_REACHED';
  constructor(readonly limit: 'account-daily' | 'client-ip') {
    super(`The ${limit} send limit is reached.`);
  }
}

export class QuotaExceededError extends DomainError {
  readonly code = 'QUOTA_EXCEEDED';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many verification mails; retry after ${retryAfterSeconds}s.`);
  }
}

export class InvalidTokenError extends DomainError {
  readonly code = 'TOKEN_INVALID';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Invalid verification token: ${reason}`, options);
  }
}

export class ExpiredTokenError extends DomainError {
  readonly code = 'TOKEN_EXPIRED';
  /** The address the (authentic) token was for, so a page can still say whose link expired. */
  constructor(readonly address?: string) {
    super('Expired verification token.');
  }
}

export class WrongCodeError extends DomainError {
  readonly code = 'CODE_WRONG';
  constructor(readonly attemptsLeft: number) {
    super('The verification code does not match.');
  }
}

export class CodeExpiredError extends DomainError {
  readonly code = 'CODE_EXPIRED';
  constructor() {
    super('No live verification code; request a new one.');
  }
}

export class TooManyAttemptsError extends DomainError {
  readonly code = 'ATTEMPTS_EXHAUSTED';
  constructor() {
    super('Too many wrong verification codes; request a new one.');
  }
}

/** The stages a resend passes through; a fault in one is reported with its stage. */
export type FailureStage =
  | 'read-verification'
  | 'read-quota-state'
  | 'save-verification'
  | 'create-otp'
  | 'create-token'
  | 'send-mail';

export class StageFailedError extends DomainError {
  readonly code = 'STAGE_FAILED';
  constructor(
    readonly stage: FailureStage,
    cause: unknown,
  ) {
    super(`${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Runs one stage, tagging anything it throws (other than a domain error) with the stage. A stored
 * record that could not be read back is a read failure, whichever stage was reading it.
 */
export async function inStage<T>(stage: FailureStage, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (error instanceof CorruptRecordError) {
      throw new StageFailedError(error.part === 'verification' ? 'read-verification' : 'read-quota-state', error);
    }
    throw new StageFailedError(stage, error);
  }
}
