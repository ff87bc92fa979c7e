import type { BatchLimit } from './send-batch.js';

export interface RequestLimitPolicy {
  readonly maxPerAccountPerDay: number;
  readonly maxPerClientIpPerHour: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The request-level caps on mails: per access key per UTC day (Aliyun's 500), and per end-user
 * IP per UTC hour when the caller names one (keyed as client-ip.ts says: an IPv6 /64 counts as
 * one). Each bucket is a fixed UTC day or hour, so its
 * counter is one item that concurrent batches update exactly; the item is kept one bucket past
 * its end, then TTL deletes it.
 */
export function requestLimits(
  policy: RequestLimitPolicy,
  caller: { readonly accountId: string; readonly clientIpKey?: string },
  now: number,
): BatchLimit[] {
  const dayStarts = now - (now % DAY_MS);
  const hourStarts = now - (now % HOUR_MS);
  const day = new Date(dayStarts).toISOString().slice(0, 10);
  const hour = new Date(hourStarts).toISOString().slice(0, 13);
  const limits: BatchLimit[] = [
    {
      name: 'account-daily',
      counterKey: `account#${caller.accountId}#${day}`,
      limit: policy.maxPerAccountPerDay,
      expiresAt: dayStarts + 2 * DAY_MS,
    },
  ];
  if (caller.clientIpKey) {
    limits.push({
      name: 'client-ip',
      counterKey: `ip#${caller.clientIpKey}#${hour}`,
      limit: policy.maxPerClientIpPerHour,
      expiresAt: hourStarts + 2 * HOUR_MS,
    });
  }
  return limits;
}
