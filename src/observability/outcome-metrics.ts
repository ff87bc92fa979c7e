import { QuotaExceededError, SendLimitError, StageFailedError } from '../domain/errors.js';
import type { RequestMetrics } from './metrics.js';

/**
 * What one address's send counts as: a mail sent, a refusal by a limit, or a failure at a
 * stage. Other outcomes (an invalid address, an address never submitted or already verified)
 * are answers about the address, not about the service, and count as nothing.
 */
export function countSendOutcome(metrics: RequestMetrics, error: unknown): void {
  if (error === undefined) metrics.count('MailsSent');
  else if (error instanceof QuotaExceededError) metrics.count('QuotaRefusals', { limit: 'address' });
  else if (error instanceof SendLimitError) metrics.count('QuotaRefusals', { limit: error.limit });
  else if (error instanceof StageFailedError) metrics.count('SendFailures', { stage: error.stage });
}

/** Runs one send and counts its outcome; the outcome itself passes through unchanged. */
export async function countedSend<T>(metrics: RequestMetrics, send: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await send();
  } catch (error) {
    countSendOutcome(metrics, error);
    throw error;
  }
  countSendOutcome(metrics, undefined);
  return result;
}
