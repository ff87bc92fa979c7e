import type { SentCode, StoredOtp } from './verification-record.js';

/**
 * The per-address send quota: a cooldown between mails and a sliding window cap.
 *
 * The state is a fixed-length log of the most recent send times, oldest first, one slot per
 * send the window allows (unused slots hold 0). A send is allowed when the newest entry is
 * at least a cooldown old and the oldest is outside the window: then the window holds at most
 * `maxPerWindow - 1` sends. Shifting the log left and writing `now` in the last slot records a
 * send; a store can express both as one conditional write.
 */
export interface QuotaPolicy {
  readonly cooldownSeconds: number;
  readonly maxPerWindow: number;
  readonly windowSeconds: number;
}

export type QuotaDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export function emptySendLog(policy: QuotaPolicy): number[] {
  return new Array<number>(policy.maxPerWindow).fill(0);
}

/** A log written under another `maxPerWindow`, fitted to this policy's slot count. */
export function fitSendLog(log: readonly number[], policy: QuotaPolicy): number[] {
  const recent = log.slice(-policy.maxPerWindow);
  return [...emptySendLog(policy).slice(recent.length), ...recent];
}

/** The edges a store's condition compares the log against, in epoch ms. */
export function quotaEdges(policy: QuotaPolicy, now: number): { cooldownEdge: number; windowEdge: number } {
  return {
    cooldownEdge: now - policy.cooldownSeconds * 1000,
    windowEdge: now - policy.windowSeconds * 1000,
  };
}

export function decideQuota(log: readonly number[], policy: QuotaPolicy, now: number): QuotaDecision {
  const fitted = fitSendLog(log, policy);
  const oldest = fitted[0] ?? 0;
  const newest = fitted[fitted.length - 1] ?? 0;
  const nextAllowedAt = Math.max(newest + policy.cooldownSeconds * 1000, oldest + policy.windowSeconds * 1000);
  if (nextAllowedAt <= now) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((nextAllowedAt - now) / 1000)) };
}

export function recordInSendLog(log: readonly number[], policy: QuotaPolicy, now: number): number[] {
  return [...fitSendLog(log, policy).slice(1), now];
}

/**
 * The codes logged with a send log, fitted to the policy's slot count like the log itself. A
 * record written before codes were logged gets them from its live codes: the current one in the
 * last slot, the previous one (if live) before it.
 */
export function fitSentCodes(
  record: {
    readonly sendLog: readonly number[];
    readonly sentCodes?: readonly (SentCode | undefined)[];
    readonly currentOtp?: StoredOtp;
    readonly previousOtp?: StoredOtp;
  },
  policy: QuotaPolicy,
): (SentCode | undefined)[] {
  const known: (SentCode | undefined)[] =
    record.sentCodes && record.sentCodes.length === record.sendLog.length
      ? [...record.sentCodes]
      : [
          ...new Array<undefined>(record.sendLog.length).fill(undefined),
          ...(record.previousOtp ? [{ otp: record.previousOtp, keptPrevious: false, guessesBefore: 0 }] : []),
          ...(record.currentOtp ? [{ otp: record.currentOtp, keptPrevious: record.previousOtp !== undefined, guessesBefore: 0 }] : []),
        ].slice(-record.sendLog.length);
  const recent = known.slice(-policy.maxPerWindow);
  return [...new Array<undefined>(policy.maxPerWindow - recent.length).fill(undefined), ...recent];
}

export function recordInSentCodes(codes: readonly (SentCode | undefined)[], policy: QuotaPolicy, sent: SentCode): (SentCode | undefined)[] {
  const recent = codes.slice(-policy.maxPerWindow);
  return [...new Array<undefined>(policy.maxPerWindow - recent.length).fill(undefined), ...recent].slice(1).concat([sent]);
}
