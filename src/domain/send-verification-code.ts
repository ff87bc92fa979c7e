import type { EmailAddress } from './address.js';
import {
  AlreadyVerifiedError,
  QuotaExceededError,
  StageFailedError,
  VerificationNotFoundError,
  VerificationPendingError,
  inStage,
} from './errors.js';
import type { Lang } from './lang.js';
import type { MailComposer } from './mail-composition.js';
import type { OtpIssuer } from './otp.js';
import type { Mailer, OutgoingMail, SendCommand, SendOutcome, SendReceipt, VerificationStore } from './ports.js';
import { decideQuota, fitSendLog, fitSentCodes, type QuotaPolicy } from './quota.js';
import { undoSend } from './send-undo.js';
import { TimeBudget, TimeBudgetExhaustedError } from './time-budget.js';
import { isLive } from './verification-record.js';

export interface SendDependencies {
  readonly store: VerificationStore;
  readonly mailer: Mailer;
  /** Writes the mail (built-in or operator templates, compiled at start-up). */
  readonly mail: MailComposer;
  readonly otps: OtpIssuer;
  readonly clock: () => number;
  readonly settings: {
    readonly quota: QuotaPolicy;
    /** How long a pending record outlives its latest send: long enough for its tokens. */
    readonly pendingRetentionSeconds: number;
  };
  /**
   * Time kept back for taking a send back if its mail fails: the mail is given up this long
   * before the request's budget ends. A send is not started with less than `minimumToSendMs`
   * left. Zero (the default) where calls cannot stall.
   */
  readonly timing?: { readonly undoReserveMs: number; readonly minimumToSendMs: number };
  /** Told when undoing a failed send failed too; the quota then stays charged. */
  readonly onRevertFailure?: (error: unknown) => void;
}

export interface SendRequest {
  readonly address: EmailAddress;
  readonly lang: Lang;
  readonly clientIp?: string;
  /** The RPC access key asking: kept as the submitter when this send creates the record. */
  readonly submittedBy?: string;
  /** Builds the one-click link for the mail, for APIs that offer one. */
  readonly linkFor?: (address: EmailAddress, now: number) => Promise<string>;
  /** The request's time budget; unbounded when absent (library use). */
  readonly budget?: TimeBudget;
}

export interface SendResult {
  readonly address: EmailAddress;
  /** The first send of a new pending verification rather than a resend. */
  readonly started: boolean;
}

/** A send recorded against the quota whose mail has not gone out yet. */
export interface RecordedSend extends SendResult {
  readonly receipt: SendReceipt;
  readonly mail: OutgoingMail;
}

export type SendMode = 'start' | 'start-only' | 'resend';

/** Conditional writes one send may try while concurrent sends keep moving its record. */
const MAX_RECORD_ROUNDS = 6;

/**
 * Starts a verification: a new pending record and its first code. For an address already
 * pending, `ifPending` says whether to resend under the same quota or refuse.
 */
export async function startVerification(
  deps: SendDependencies,
  request: SendRequest,
  ifPending: 'resend' | 'refuse' = 'resend',
): Promise<SendResult> {
  const recorded = await recordSend(deps, request, ifPending === 'resend' ? 'start' : 'start-only');
  return deliverSend(deps, recorded, request.budget);
}

/**
 * Mails a fresh code to a pending address within its quota. The code mailed before stays valid,
 * unless wrong guesses were made against it (then it retires); the mail says which.
 */
export async function resendVerificationCode(deps: SendDependencies, request: SendRequest): Promise<SendResult> {
  return deliverSend(deps, await recordSend(deps, request, 'resend'), request.budget);
}

/**
 * Records one send: the address's own checks (never submitted, verified, quota), the counter and
 * the new code, in one conditional write. Nothing is mailed yet: see deliverSend and withdrawSend.
 */
export async function recordSend(deps: SendDependencies, request: SendRequest, mode: SendMode): Promise<RecordedSend> {
  const { address } = request;
  const budget = request.budget;
  if (budget && (budget.ended || budget.remainingMs() < (deps.timing?.minimumToSendMs ?? 0))) {
    // Too little time left to mail and, if the mail failed, to take the send back.
    throw new StageFailedError('save-verification', new TimeBudgetExhaustedError(budget.deadline));
  }
  const now = deps.clock();
  const otp = await inStage('create-otp', () => deps.otps.issue(address.key, now));
  const link = request.linkFor ? await inStage('create-token', () => request.linkFor!(address, now)) : undefined;
  const command: SendCommand = {
    key: address.key,
    address: address.address,
    lang: request.lang,
    otp: otp.stored,
    policy: deps.settings.quota,
    now,
    recordExpiresAt: now + deps.settings.pendingRetentionSeconds * 1000,
    ...(request.clientIp ? { clientIp: request.clientIp } : {}),
    ...(request.submittedBy ? { submittedBy: request.submittedBy } : {}),
  };

  let started = false;
  let outcome: SendOutcome | undefined;
  if (mode !== 'resend') {
    outcome = await inStage('save-verification', () => deps.store.createPending(command, budget));
    started = outcome.kind === 'recorded';
    if (outcome.kind === 'refused' && mode === 'start-only') {
      throw outcome.current?.status === 'verified' ? new AlreadyVerifiedError() : new VerificationPendingError();
    }
  }
  if (outcome === undefined || outcome.kind === 'refused') {
    outcome = await recordResend(deps, command, budget);
  }

  const mail = deps.mail.compose({
    to: address.address,
    code: otp.code,
    lang: request.lang,
    ...(link ? { link } : {}),
    // Said only when true: a first mail has no earlier code, and a resend after a wrong guess
    // (or long after the earlier code expired) leaves none that works.
    previousCodeStillWorks: (outcome.previousCodeExpiresAt ?? 0) > now,
  });
  return { address, started, receipt: outcome.receipt, mail };
}

/**
 * Mails a recorded send. If the mail fails (or runs out of time), the send is taken back, so
 * the quota is not charged and the code mailed before still works, and the failure is thrown.
 * `mailBudget` (default: the request's budget) can end the mail alone, e.g. when a batch stops
 * waiting for a stalled mailer; taking the send back always has the request's whole budget.
 */
export async function deliverSend(
  deps: SendDependencies,
  recorded: RecordedSend,
  budget: TimeBudget = TimeBudget.unbounded(),
  mailBudget: TimeBudget = budget,
): Promise<SendResult> {
  const mailing = mailBudget.endingEarlierBy(deps.timing?.undoReserveMs ?? 0);
  try {
    if (mailing.ended) throw new TimeBudgetExhaustedError(mailing.deadline);
    await deps.mailer.send(recorded.mail, mailing);
  } catch (error) {
    await withdrawSend(deps, recorded, budget);
    throw new StageFailedError('send-mail', error);
  } finally {
    mailing.release();
  }
  return { address: recorded.address, started: recorded.started };
}

/** Takes back a recorded send that will not be mailed; a failure is reported, not thrown. */
export async function withdrawSend(deps: SendDependencies, recorded: RecordedSend, budget?: TimeBudget): Promise<void> {
  try {
    await undoSend(deps.store, recorded.receipt, budget);
  } catch (error) {
    deps.onRevertFailure?.(error);
  }
}

/**
 * The one conditional write; a refusal is explained from the record it returns. A refusal that
 * the quota does not explain means an assumption of the write failed: it is mended and retried.
 */
async function recordResend(
  deps: SendDependencies,
  command: SendCommand,
  budget: TimeBudget | undefined,
): Promise<Extract<SendOutcome, { kind: 'recorded' }>> {
  let attempt: SendCommand = command;
  for (let round = 0; round < MAX_RECORD_ROUNDS; round++) {
    const outcome = await inStage('save-verification', () => deps.store.recordResend(attempt, budget));
    if (outcome.kind === 'recorded') return outcome;
    const current = outcome.current;
    if (!isLive(current, attempt.now)) throw new VerificationNotFoundError();
    if (current.status === 'verified') throw new AlreadyVerifiedError();
    const decision = decideQuota(current.sendLog, command.policy, attempt.now);
    if (!decision.allowed) {
      // A concurrent send may have been stamped after this request read its clock: it is the
      // quota as of now, not as of that read, that refuses or allows.
      const later = Math.max(deps.clock(), ...current.sendLog);
      if (later > attempt.now && decideQuota(current.sendLog, command.policy, later).allowed) {
        attempt = { ...attempt, now: later };
        continue;
      }
      throw new QuotaExceededError(decision.retryAfterSeconds);
    }
    const slots = command.policy.maxPerWindow;
    if (current.sendLog.length !== slots || current.sentCodes?.length !== current.sendLog.length) {
      // The log was written under another RESEND_MAX_PER_WINDOW, or before codes were logged:
      // fit it (if still unchanged).
      const replacement = { sendLog: fitSendLog(current.sendLog, command.policy), sentCodes: fitSentCodes(current, command.policy) };
      await inStage('save-verification', () =>
        deps.store.reshapeSendLog(command.key, { sendLog: current.sendLog, sentCodes: current.sentCodes }, replacement, budget),
      );
    } else if (current.guesses > 0 && (!attempt.dropPreviousCode || attempt.expectedGuesses !== current.guesses)) {
      // Wrong guesses were made against the live codes: the previous code retires rather than
      // face a fresh guess allowance, so no code ever meets more than the guess limit. The send
      // logs the count it resets, so that taking it back can restore it.
      attempt = { ...attempt, dropPreviousCode: true, expectedGuesses: current.guesses };
    }
    // Otherwise the record moved between the write and the refusal it returned: try again.
  }
  // Concurrent sends keep moving the record: report the shortest sensible wait.
  throw new QuotaExceededError(1);
}
