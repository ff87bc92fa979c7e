import { mapWithConcurrency } from './bounded-concurrency.js';
import type { ListedAddress } from './email-list.js';
import { SendLimitError, StageFailedError } from './errors.js';
import type { Lang } from './lang.js';
import type { LimitCounters } from './ports.js';
import {
  deliverSend,
  recordSend,
  withdrawSend,
  type RecordedSend,
  type SendDependencies,
  type SendMode,
  type SendRequest,
} from './send-verification-code.js';
import { isTimeout, TimeBudget } from './time-budget.js';

/** A request-level cap on mails, such as per account per day or per client IP per hour. */
export interface BatchLimit {
  readonly name: SendLimitError['limit'];
  readonly counterKey: string;
  readonly limit: number;
  /** When the counter's bucket ends and its item may be deleted (epoch ms). */
  readonly expiresAt: number;
}

export interface BatchRequest {
  readonly entries: readonly ListedAddress[];
  readonly action: 'resend' | 'submit' | 'submit-or-resend';
  readonly lang: Lang;
  readonly clientIp?: string;
  readonly submittedBy?: SendRequest['submittedBy'];
  readonly linkFor?: SendRequest['linkFor'];
  readonly limits: readonly BatchLimit[];
  readonly concurrency: number;
  /** The request's time budget; unbounded when absent. */
  readonly budget?: TimeBudget;
}

/** One entry's result: sent, or the error that explains why not. */
export interface BatchOutcome {
  readonly given: string;
  readonly error?: unknown;
}

const MODES: Readonly<Record<BatchRequest['action'], SendMode>> = {
  resend: 'resend',
  submit: 'start-only',
  'submit-or-resend': 'start',
};

/**
 * Sends to every valid address of a batch, concurrently (bounded), in three steps:
 *
 * 1. each address's own send is recorded: its own checks (never submitted, verified, its quota)
 *    come first, so an address refused for its own reason reports that reason;
 * 2. the request-level limits (per account per day, per client IP per hour) are taken once for
 *    the addresses recorded, in batch order; the ones they cannot cover are taken back;
 * 3. the covered ones are mailed; a failed mail is taken back and gives its units back.
 *
 * So units are spent only by addresses that mail, and each address still costs one write on
 * the way to a mail. Once one write or one mail times out, the batch stops waiting for that
 * dependency: the addresses still to be recorded fail at once (InternalError), those still to be
 * mailed too (SendEmailFailed, taken back), rather than each waiting out its own timeout.
 */
export async function sendBatch(
  deps: SendDependencies & { readonly counters: LimitCounters },
  request: BatchRequest,
): Promise<BatchOutcome[]> {
  const budget = request.budget ?? TimeBudget.unbounded();
  const mode = MODES[request.action];

  type Recorded = BatchOutcome | { readonly given: string; readonly send: RecordedSend };
  // Once one write times out, the store is taken to be stalled: the addresses not yet recorded
  // fail at once instead of each waiting out its own timeout.
  const recording = budget.child();
  const recorded = await mapWithConcurrency(request.entries, request.concurrency, async (entry): Promise<Recorded> => {
    if (!('address' in entry)) return { given: entry.given, error: entry.error };
    const sendRequest: SendRequest = {
      address: entry.address,
      lang: request.lang,
      budget: recording,
      ...(request.clientIp ? { clientIp: request.clientIp } : {}),
      ...(request.submittedBy ? { submittedBy: request.submittedBy } : {}),
      ...(request.linkFor ? { linkFor: request.linkFor } : {}),
    };
    try {
      return { given: entry.given, send: await recordSend(deps, sendRequest, mode) };
    } catch (error) {
      if (isTimeout(error)) recording.end();
      return { given: entry.given, error };
    }
  });
  recording.release();

  const toMail = recorded.flatMap((outcome, index) => ('send' in outcome ? [index] : []));
  const positionOf = new Map(toMail.map((index, position) => [index, position]));
  let covered: { granted: number; refusalOf: (position: number) => SendLimitError };
  try {
    covered = await takeLimits(deps.counters, request.limits, toMail.length, budget);
  } catch (error) {
    // The counters cannot be read: nothing may be mailed. Every recorded send is taken back.
    const failure = new StageFailedError('save-verification', error);
    await mapWithConcurrency(toMail, request.concurrency, (index) => withdrawSend(deps, sendOf(recorded[index]), budget));
    return recorded.map((outcome) => ('send' in outcome ? { given: outcome.given, error: failure } : outcome));
  }

  const mailing = budget.child();
  let failedMails = 0;
  const outcomes = await mapWithConcurrency(recorded, request.concurrency, async (outcome, index): Promise<BatchOutcome> => {
    if (!('send' in outcome)) return outcome;
    const position = positionOf.get(index)!;
    if (position >= covered.granted) {
      await withdrawSend(deps, outcome.send, budget);
      return { given: outcome.given, error: covered.refusalOf(position) };
    }
    try {
      await deliverSend(deps, outcome.send, budget, mailing);
      return { given: outcome.given };
    } catch (error) {
      failedMails++;
      if (isTimeout(error)) mailing.end();
      return { given: outcome.given, error };
    }
  });
  mailing.release();
  await giveBack(deps.counters, request.limits, failedMails, budget);
  return outcomes;
}

function sendOf(outcome: BatchOutcome | { readonly send: RecordedSend } | undefined): RecordedSend {
  if (outcome === undefined || !('send' in outcome)) throw new TypeError('not a recorded send');
  return outcome.send;
}

/**
 * Takes `wanted` units through each limit in turn; the batch gets what the tightest one allows,
 * and the units an earlier limit gave beyond that go back at once.
 */
async function takeLimits(counters: LimitCounters, limits: readonly BatchLimit[], wanted: number, budget: TimeBudget) {
  let granted = wanted;
  const cuts: { limit: BatchLimit; from: number }[] = [];
  const taken: number[] = [];
  for (const limit of limits) {
    if (granted === 0) {
      taken.push(0);
      continue;
    }
    const got = await counters.take(limit.counterKey, granted, limit.limit, limit.expiresAt, budget);
    taken.push(got);
    if (got < granted) cuts.push({ limit, from: got });
    granted = got;
  }
  await Promise.all(limits.map((limit, i) => counters.giveBack(limit.counterKey, (taken[i] ?? 0) - granted, budget)));
  // The first limit to cut a position is the one that refused it; only positions at or past
  // `granted`, the last cut, are ever asked about.
  const refusalOf = (position: number) => new SendLimitError(cuts.find((cut) => position >= cut.from)!.limit.name);
  return { granted, refusalOf };
}

/** Units taken for mails that then failed go back; a failure to give them back is not the addresses' failure. */
async function giveBack(counters: LimitCounters, limits: readonly BatchLimit[], units: number, budget: TimeBudget): Promise<void> {
  if (units === 0) return;
  await Promise.all(limits.map((limit) => counters.giveBack(limit.counterKey, units, budget).catch(() => undefined)));
}
