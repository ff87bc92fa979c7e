/**
 * Characters XML 1.0 cannot carry at all, not even as references: most C0 controls, lone
 * surrogates, U+FFFE and U+FFFF. They are dropped rather than refused so that one odd byte in
 * an echoed value (an email address a client sent) cannot turn a whole answer into an error.
 */
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser turns a raw CR into LF; a reference survives.
  '\r': '&#13;',
};

/** Text safe as element content or an attribute value. */
export function escapeXmlText(text: string): string {
  return text.replace(ILLEGAL_XML_CHARS, '').replace(/[&<>"'\r]/g, (char) => ESCAPES[char] ?? char);
}

/** Names come from code, never from a request, so a bad one is a programming error. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function assertXmlName(name: string): void {
  if (!XML_NAME.test(name)) throw new TypeError(`"${name}" is not usable as an XML element name.`);
}
