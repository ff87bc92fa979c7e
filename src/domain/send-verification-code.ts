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
import type { Mailer, SendCommand, SendOutcome, SendReceipt, VerificationStore } from './ports.js';
import { decideQuota, fitSendLog, type QuotaPolicy } from './quota.js';
import { isLive, type VerificationRecord } from './verification-record.js';

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
}

export interface SendResult {
  readonly address: EmailAddress;
  /** The first send of a new pending verification rather than a resend. */
  readonly started: boolean;
}

/**
 * Starts a verification: a new pending record and its first code. For an address already
 * pending, `ifPending` says whether to resend under the same quota or refuse.
 */
export async function startVerification(
  deps: SendDependencies,
  request: SendRequest,
  ifPending: 'resend' | 'refuse' = 'resend',
): Promise<SendResult> {
  return sendCode(deps, request, ifPending === 'resend' ? 'start' : 'start-only');
}

/**
 * Mails a fresh code to a pending address within its quota. The code mailed before stays valid,
 * unless wrong guesses were made against it (then it retires); the mail says which.
 */
export async function resendVerificationCode(deps: SendDependencies, request: SendRequest): Promise<SendResult> {
  return sendCode(deps, request, 'resend');
}

async function sendCode(
  deps: SendDependencies,
  request: SendRequest,
  mode: 'start' | 'start-only' | 'resend',
): Promise<SendResult> {
  const { address } = request;
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
    outcome = await inStage('save-verification', () => deps.store.createPending(command));
    started = outcome.kind === 'recorded';
    if (outcome.kind === 'refused' && mode === 'start-only') {
      throw outcome.current?.status === 'verified' ? new AlreadyVerifiedError() : new VerificationPendingError();
    }
  }
  if (outcome === undefined || outcome.kind === 'refused') {
    outcome = await recordResend(deps, command);
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
  try {
    await deps.mailer.send(mail);
  } catch (error) {
    await revertQuietly(deps, outcome.receipt);
    throw new StageFailedError('send-mail', error);
  }
  return { address, started };
}

/**
 * The one conditional write; a refusal is explained from the record it returns. A refusal that
 * the quota does not explain means an assumption of the write failed: it is mended and retried.
 */
async function recordResend(
  deps: SendDependencies,
  command: SendCommand,
): Promise<Extract<SendOutcome, { kind: 'recorded' }>> {
  let attempt: SendCommand = command;
  for (let round = 0; round < 3; round++) {
    const outcome = await inStage('save-verification', () => deps.store.recordResend(attempt));
    if (outcome.kind === 'recorded') return outcome;
    const current = outcome.current;
    throwRefusal(current, command);
    if (!attempt.dropPreviousCode && current.guesses > 0) {
      // Wrong guesses were made against the live codes: the previous code retires rather than
      // face a fresh guess allowance, so no code ever meets more than the guess limit.
      attempt = { ...attempt, dropPreviousCode: true };
    } else if (current.sendLog.length !== command.policy.maxPerWindow) {
      // The log was written under another RESEND_MAX_PER_WINDOW: fit it (if still unchanged).
      const fitted = fitSendLog(current.sendLog, command.policy);
      await inStage('save-verification', () => deps.store.replaceSendLog(command.key, current.sendLog, fitted));
    } else {
      break;
    }
  }
  // Concurrent sends keep moving the record: report the shortest sensible wait.
  throw new QuotaExceededError(1);
}

/** Throws the domain error that explains why a send was refused, unless nothing explains it. */
function throwRefusal(
  current: VerificationRecord | undefined,
  command: SendCommand,
): asserts current is VerificationRecord {
  if (!isLive(current, command.now)) throw new VerificationNotFoundError();
  if (current.status === 'verified') throw new AlreadyVerifiedError();
  const decision = decideQuota(current.sendLog, command.policy, command.now);
  if (!decision.allowed) throw new QuotaExceededError(decision.retryAfterSeconds);
}

async function revertQuietly(deps: SendDependencies, receipt: SendReceipt): Promise<void> {
  try {
    await deps.store.revertSend(receipt);
  } catch (error) {
    deps.onRevertFailure?.(error);
  }
}
