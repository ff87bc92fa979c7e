import { normalizeEmailAddress } from './address.js';
import { InvalidAddressError } from './errors.js';

/** The sender of every mail: `MAIL_FROM`, parsed once. */
export interface Sender {
  /** The bare address: local part as given, domain lower-cased and in punycode. */
  readonly address: string;
  /** The display name as a person reads it (unquoted, not encoded); absent when none was given. */
  readonly displayName?: string;
}

export class SenderError extends Error {
  override name = 'SenderError';
}

const NAME_AND_ADDRESS = /^(.*?)\s*<([^<>]*)>$/s;
// RFC 5322 atext plus spaces between words: a display name made only of these needs no quotes.
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// RFC 2047: an encoded-word is at most 75 characters; `=?UTF-8?B?` and `?=` take 12 of them,
// leaving 63 characters of base64, that is 15 groups of 4, which carry 45 bytes.
const ENCODED_WORD_BYTES = 45;

/**
 * `MAIL_FROM` as `address` or `Name <address>` (the name may be quoted). Refuses anything SES
 * cannot send from: a malformed address, a non-ASCII local part (SES takes only 7-bit local
 * parts; an internationalised domain is turned into punycode), control characters.
 */
export function parseSender(mailFrom: string): Sender {
  const fail = (why: string) =>
    new SenderError(`MAIL_FROM must be an email address, optionally as "Name <address>" (${why}): got "${mailFrom}"`);
  if (/[\u0000-\u001f\u007f]/.test(mailFrom)) throw fail('control characters');
  const trimmed = mailFrom.trim();
  const match = NAME_AND_ADDRESS.exec(trimmed);
  const rawAddress = (match ? match[2]! : trimmed).trim();
  if (!match && /[<>]/.test(trimmed)) throw fail('unbalanced < >');
  const at = rawAddress.lastIndexOf('@');
  if (at > 0 && /[^\x00-\x7f]/.test(rawAddress.slice(0, at))) {
    throw fail('the part before @ must be ASCII: SES cannot send from an internationalised local part');
  }
  let address: string;
  try {
    address = normalizeEmailAddress(rawAddress).address;
  } catch (error) {
    if (error instanceof InvalidAddressError) throw fail(error.message);
    throw error;
  }
  const displayName = match ? unquote(match[1]!.trim()) : '';
  return displayName === '' ? { address } : { address, displayName };
}

/**
 * The sender as an RFC 5322 mailbox for SES's `Source`: the address alone, or the display name
 * as plain words, as a quoted string when it holds specials (`,` `"` `.` ...), or as RFC 2047
 * encoded-words (UTF-8, base64) when it is not ASCII, which SES requires of a non-ASCII name.
 */
export function senderMailbox(sender: Sender): string {
  const name = sender.displayName;
  if (name === undefined) return sender.address;
  if (PLAIN_PHRASE.test(name)) return `${name} <${sender.address}>`;
  if (PRINTABLE_ASCII.test(name)) return `"${name.replace(/[\\"]/g, '\\$&')}" <${sender.address}>`;
  return `${encodedWords(name).join(' ')} <${sender.address}>`;
}

/** `"Acme \"Sign-up\""` -> `Acme "Sign-up"`; a name without quotes stays as it is. */
function unquote(name: string): string {
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) return name.slice(1, -1).replace(/\\(.)/g, '$1');
  return name;
}

/** UTF-8 base64 encoded-words of at most 75 characters, never splitting a character. */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length > 0) words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
    chunk = [];
    size = 0;
  };
  for (const character of text) {
    const bytes = Buffer.from(character, 'utf8');
    if (size + bytes.length > ENCODED_WORD_BYTES) flush();
    chunk.push(bytes);
    size += bytes.length;
  }
  flush();
  return words;
}
