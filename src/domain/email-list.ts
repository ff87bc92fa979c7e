import { normalizeEmailAddress, type EmailAddress } from './address.js';
import { InvalidAddressError } from './errors.js';

export type ListedAddress =
  | { readonly given: string; readonly address: EmailAddress }
  | { readonly given: string; readonly error: InvalidAddressError };

export class TooManyAddressesError extends Error {
  override name = 'TooManyAddressesError';
  constructor(readonly max: number) {
    super(`At most ${max} email addresses per request.`);
  }
}

/**
 * A comma-separated list: entries trimmed, empty ones dropped, duplicates (by record key, or
 * by text for invalid entries) kept once, in first-seen order.
 */
export function parseEmailList(raw: string, max: number): ListedAddress[] {
  const given = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (given.length > max) throw new TooManyAddressesError(max);
  const seen = new Set<string>();
  const listed: ListedAddress[] = [];
  for (const entry of given) {
    let item: ListedAddress;
    try {
      item = { given: entry, address: normalizeEmailAddress(entry) };
    } catch (error) {
      if (!(error instanceof InvalidAddressError)) throw error;
      item = { given: entry, error };
    }
    const identity = 'address' in item ? item.address.key : `invalid:${entry.toLowerCase()}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    listed.push(item);
  }
  return listed;
}
