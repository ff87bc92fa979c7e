/** Something in a query string or form body that cannot be decoded to UTF-8 text. */
export class UndecodableInputError extends Error {
  constructor(readonly fragment: string) {
    super(`Cannot decode "${fragment}" as percent-encoded UTF-8.`);
    this.name = 'UndecodableInputError';
  }
}

/** Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a UTF-8 byte. */
export function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // URIError: a stray `%`, a truncated escape or bytes that are not UTF-8.
    throw new UndecodableInputError(text);
  }
}

/**
 * Splits a form body into decoded `[name, value]` pairs in wire order, repeats included, so the
 * caller decides what a repeated name means. Unlike `URLSearchParams`, which silently turns
 * malformed escapes into U+FFFD, a malformed escape throws: a value the client cannot have
 * signed must not reach the signature check disguised as another.
 */
export function parseFormUrlEncoded(body: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const piece of body.split('&')) {
    if (piece === '') continue;
    const equals = piece.indexOf('=');
    const name = equals < 0 ? piece : piece.slice(0, equals);
    const value = equals < 0 ? '' : piece.slice(equals + 1);
    pairs.push([decodeFormComponent(name), decodeFormComponent(value)]);
  }
  return pairs;
}
