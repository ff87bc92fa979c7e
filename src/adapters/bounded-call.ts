import { DependencyTimeoutError, TimeBudget } from '../domain/time-budget.js';
import { AWS_CALL_LIMITS, type AwsService } from './aws-clients.js';

/**
 * Runs one AWS call under the request's budget and the service's cap, whichever ends first. The
 * SDK gets the signal as its `abortSignal`, so an abandoned call stops retrying and never sends
 * again; the caller is answered at the deadline even if the SDK were still busy.
 */
export async function boundedCall<T>(
  service: AwsService,
  operation: string,
  budget: TimeBudget | undefined,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const scope = budget ?? TimeBudget.unbounded();
  const bounded = scope.within(AWS_CALL_LIMITS[service].callMs);
  const started = Date.now();
  try {
    return await raceAbort(call(bounded.signal), bounded.signal);
  } catch (error) {
    if (bounded.signal.aborted) {
      throw Object.assign(new DependencyTimeoutError(operation, Date.now() - started), { cause: error });
    }
    throw error;
  } finally {
    bounded.release();
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
