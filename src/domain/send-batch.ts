import { mapWithConcurrency } from './bounded-concurrency.js';
import type { ListedAddress } from './email-list.js';
import { SendLimitError } from './errors.js';
import type { Lang } from './lang.js';
import type { LimitCounters } from './ports.js';
import {
  resendVerificationCode,
  startVerification,
  type SendDependencies,
  type SendRequest,
} from './send-verification-code.js';

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
}

/** One entry's result: sent, or the error that explains why not. */
export interface BatchOutcome {
  readonly given: string;
  readonly error?: unknown;
}

/**
 * Sends to every valid address of a batch concurrently (bounded). Request-level limits are taken
 * up front for the whole batch and what goes unused is given back, so each address still costs
 * one conditional write; one address failing never stops the others.
 */
export async function sendBatch(
  deps: SendDependencies & { readonly counters: LimitCounters },
  request: BatchRequest,
): Promise<BatchOutcome[]> {
  const valid = request.entries.filter(isValid);
  const { granted, refusals } = await takeLimits(deps.counters, request.limits, valid.length);

  let sent = 0;
  const send = async (entry: ValidEntry): Promise<BatchOutcome> => {
    const sendRequest: SendRequest = {
      address: entry.address,
      lang: request.lang,
      ...(request.clientIp ? { clientIp: request.clientIp } : {}),
      ...(request.submittedBy ? { submittedBy: request.submittedBy } : {}),
      ...(request.linkFor ? { linkFor: request.linkFor } : {}),
    };
    try {
      if (request.action === 'resend') await resendVerificationCode(deps, sendRequest);
      else await startVerification(deps, sendRequest, request.action === 'submit' ? 'refuse' : 'resend');
      sent++;
      return { given: entry.given };
    } catch (error) {
      return { given: entry.given, error };
    }
  };

  const validIndex = new Map<ListedAddress, number>(valid.map((entry, index) => [entry, index]));
  const outcomes = await mapWithConcurrency(request.entries, request.concurrency, async (entry) => {
    if (!isValid(entry)) return { given: entry.given, error: entry.error };
    const index = validIndex.get(entry)!;
    return index < granted ? send(entry) : { given: entry.given, error: refusals(index) };
  });
  // Units held for entries that then failed for another reason (never submitted, over quota, a
  // refused mail) go to the entries the limits refused, in order: where an address sits in the
  // batch must not cost it its mail while the account still has room.
  let waiting = outcomes.flatMap((outcome, index) => (outcome.error instanceof SendLimitError ? [index] : []));
  while (waiting.length > 0 && granted - sent > 0) {
    const turn = waiting.slice(0, granted - sent);
    waiting = waiting.slice(turn.length);
    const retried = await mapWithConcurrency(turn, request.concurrency, (index) => send(request.entries[index] as ValidEntry));
    turn.forEach((index, k) => (outcomes[index] = retried[k]!));
  }
  await Promise.all(request.limits.map((limit) => deps.counters.giveBack(limit.counterKey, granted - sent)));
  return outcomes;
}

type ValidEntry = Extract<ListedAddress, { address: unknown }>;

function isValid(entry: ListedAddress): entry is ValidEntry {
  return 'address' in entry;
}

/** Takes `wanted` units through each limit in turn; the batch gets what the tightest one allows. */
async function takeLimits(counters: LimitCounters, limits: readonly BatchLimit[], wanted: number) {
  let granted = wanted;
  const cuts: { limit: BatchLimit; from: number }[] = [];
  const taken: number[] = [];
  for (const limit of limits) {
    if (granted === 0) {
      taken.push(0);
      continue;
    }
    const got = await counters.take(limit.counterKey, granted, limit.limit, limit.expiresAt);
    taken.push(got);
    if (got < granted) cuts.push({ limit, from: got });
    granted = got;
  }
  // Earlier limits gave more than a later one allowed: return the difference now.
  await Promise.all(limits.map((limit, i) => counters.giveBack(limit.counterKey, (taken[i] ?? 0) - granted)));
  // The first limit to cut an index is the one that refused it; only indexes at or past
  // `granted`, the last cut, are ever asked about.
  const refusals = (index: number) => new SendLimitError(cuts.find((c) => index >= c.from)!.limit.name);
  return { granted, refusals };
}
