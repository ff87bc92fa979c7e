import { percentEncode } from './percent-encode.js';

/**
 * Orders keys by Unicode code point, which is UTF-8 byte order. JavaScript's default sort
 * compares UTF-16 units and disagrees for astral characters; for every key a real client sends
 * the two orders are the same, and the clients themselves sort with the default.
 */
export function compareKeys(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0) ?? 0);
  const right = Array.from(b, (char) => char.codePointAt(0) ?? 0);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/**
 * `k=v&k=v` over decoded parameters, sorted by key, key and value percent-encoded. Both
 * signature schemes canonicalise parameters this way; it is rebuilt from decoded values because
 * clients differ in how they encode the wire text (space as `%20` or `+`, `*` raw or `%2A`).
 */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort(compareKeys)
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
}
