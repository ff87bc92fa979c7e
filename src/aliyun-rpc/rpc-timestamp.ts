import { invalidTimeStampExpired, invalidTimeStampFormat } from './rpc-errors.js';

/** Aliyun's window: a request more than 15 minutes off the server clock is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 15 * 60;

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/**
 * Parses `YYYY-MM-DDThh:mm:ssZ` (UTC), the one form Aliyun documents and the only one that both
 * `@alicloud/pop-core` (`Timestamp`) and the Tea clients (`x-acs-date`) send: no milliseconds,
 * no offsets. Strict on purpose: a signed value the server would read two ways is a liability.
 * Impossible dates such as 02-30 or 24:00:00 are refused rather than rolled over.
 */
export function parseRpcTimestamp(value: string): Date {
  const match = TIMESTAMP_PATTERN.exec(value);
  if (!match) throw invalidTimeStampFormat();
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) throw invalidTimeStampFormat();
  return date;
}

/** Refuses a timestamp more than `toleranceSeconds` before or after `now` (exactly at the edge passes). */
export function assertTimestampFresh(timestamp: Date, now: Date, toleranceSeconds: number): void {
  if (Math.abs(now.getTime() - timestamp.getTime()) > toleranceSeconds * 1000) throw invalidTimeStampExpired();
}

/**
 * When a nonce stamped `timestamp` can no longer pass the freshness check, so a nonce store may
 * forget it: remembering it any shorter would let a captured request be replayed.
 */
export function nonceExpiresAt(timestamp: Date, toleranceSeconds: number): Date {
  return new Date(timestamp.getTime() + toleranceSeconds * 1000);
}
