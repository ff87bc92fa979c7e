/**
 * Aliyun's percent-encoding (RFC 3986 unreserved set only), used for every signed value.
 *
 * `encodeURIComponent` already emits upper-case hex over UTF-8 and keeps `A-Z a-z 0-9 - _ . ~`;
 * it also keeps `! ' ( ) *`, which Aliyun encodes, so those are finished by hand. Building on it
 * rather than on raw bytes means a lone surrogate throws instead of being signed as U+FFFD.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
