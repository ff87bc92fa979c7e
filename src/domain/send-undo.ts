import type { SendLogState, SendReceipt, SendUndo, VerificationStore } from './ports.js';
import type { TimeBudget } from './time-budget.js';
import type { SentCode, VerificationRecord } from './verification-record.js';

/**
 * Taking back a send whose mail did not go out: exactly its own charge and its own code, whatever
 * landed in between.
 *
 * The send's slot leaves the log (and with it its code) wherever later sends have moved it, and
 * an empty slot enters at the front. That is exact for the quota: every entry that ever fell off
 * the front was outside the window when it fell (a send is only recorded on that condition), so
 * it can never count again. The live codes are then read off the log's last slots, and the send
 * after the removed one inherits what the removed one had changed: it keeps its predecessor's
 * code only if both sends kept theirs, and the guesses the removed send reset count again.
 *
 * The store applies an undo only while the log is exactly as planned; when something else landed
 * first, it returns the record and the undo is planned again from it. Each round is one write.
 */

/** How often an undo is planned again after the record moved under it; each move is progress by someone else. */
const MAX_ROUNDS = 12;

/**
 * The one write that takes `receipt`'s send out of `seen`, or undefined when nothing of it is
 * left there (a verification burnt it, or later sends moved it out of the log).
 */
export function planUndo(
  receipt: SendReceipt,
  seen: SendLogState & { readonly status?: VerificationRecord['status'] },
): SendUndo | undefined {
  if (seen.status !== undefined && seen.status !== 'pending') return undefined;
  const index = seen.sentCodes.findLastIndex((code) => code?.otp.hash === receipt.sent.otp.hash);
  if (index < 0) return undefined;
  const ours = seen.sentCodes[index]!;
  const last = seen.sentCodes.length - 1;

  const sendLog = [0, ...seen.sendLog.slice(0, index), ...seen.sendLog.slice(index + 1)];
  const sentCodes: (SentCode | undefined)[] = [undefined, ...seen.sentCodes.slice(0, index), ...seen.sentCodes.slice(index + 1)];
  const above = index < last ? sentCodes[index + 1] : undefined;
  if (above) {
    sentCodes[index + 1] = {
      ...above,
      keptPrevious: above.keptPrevious && ours.keptPrevious,
      guessesBefore: above.guessesBefore + ours.guessesBefore,
    };
  }
  const seenState = { sendLog: [...seen.sendLog], sentCodes: [...seen.sentCodes] };
  const top = sentCodes[last];
  if (!top) {
    // No send with a code remains: the undone send created the record.
    return { key: receipt.key, seen: seenState, change: { kind: 'delete' } };
  }
  const livesChange = index >= last - 1;
  const wasLatest = index === last;
  const previous = top.keptPrevious ? sentCodes[last - 1]?.otp : undefined;
  const before = receipt.before;
  return {
    key: receipt.key,
    seen: seenState,
    change: {
      kind: 'update',
      sendLog,
      sentCodes,
      ...(livesChange ? { liveCodes: { current: top.otp, ...(previous ? { previous } : {}) } } : {}),
      addGuesses: wasLatest ? ours.guessesBefore : 0,
      ...(wasLatest && before
        ? {
            restore: {
              lang: before.lang,
              updatedAt: before.updatedAt,
              expiresAt: before.expiresAt,
              ...(before.lastSendIp ? { lastSendIp: before.lastSendIp } : {}),
            },
          }
        : {}),
    },
  };
}

/**
 * Takes a recorded send back. Throws if the store fails or the record keeps moving; the send
 * then stays charged (the caller reports it).
 */
export async function undoSend(store: VerificationStore, receipt: SendReceipt, budget?: TimeBudget): Promise<void> {
  // The first plan assumes nothing else landed since the send: it needs no read.
  let seen: Parameters<typeof planUndo>[1] = receipt.after;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const plan = planUndo(receipt, seen);
    if (!plan) return;
    const outcome = await store.undoSend(plan, budget);
    if (outcome.kind === 'undone' || outcome.current === undefined) return;
    const current = outcome.current;
    if (!current.sentCodes) return;
    seen = { sendLog: current.sendLog, sentCodes: current.sentCodes, status: current.status };
  }
  throw new Error(`the record of ${receipt.key} kept changing while its failed send was taken back`);
}
