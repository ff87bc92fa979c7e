import { domainToASCII, domainToUnicode } from 'node:url';
import { InvalidAddressError } from './errors.js';

export interface EmailAddress {
  /** Where mail goes: local part as given, domain lower-cased and in punycode. */
  readonly address: string;
  /** The record key: the whole address lower-cased. */
  readonly key: string;
}

// RFC 5322 dot-atom: no quoted local parts, no spaces, no CR/LF, no commas, so nothing here
// can smuggle a second recipient or a header into a mail.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL_LABEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

/** Trims, checks syntax and normalises one address, or throws InvalidAddressError. */
export function normalizeEmailAddress(raw: string): EmailAddress {
  // Control characters (CR/LF above all) are a header-injection attempt wherever they stand,
  // so they are refused before trimming could hide them; a tab is only whitespace.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(raw)) throw new InvalidAddressError('control characters');
  const trimmed = raw.trim();
  if (trimmed === '') throw new InvalidAddressError('empty');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) throw new InvalidAddressError('missing local part or domain');
  const localPart = trimmed.slice(0, at);
  if (localPart.length > MAX_LOCAL_PART_LENGTH || !LOCAL_PART.test(localPart)) {
    throw new InvalidAddressError('malformed local part');
  }
  const domain = normalizeDomain(trimmed.slice(at + 1));
  const address = `${localPart}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) throw new InvalidAddressError('too long');
  return { address, key: address.toLowerCase() };
}

function normalizeDomain(raw: string): string {
  // domainToASCII lower-cases and applies IDNA; it returns '' for what it cannot convert.
  const ascii = domainToASCII(raw);
  if (ascii === '') throw new InvalidAddressError('malformed domain');
  const labels = ascii.split('.');
  const topLevel = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || !TOP_LEVEL_LABEL.test(topLevel)) {
    throw new InvalidAddressError('malformed domain');
  }
  // Node 20 refuses a punycode label that does not decode; Node 22+ (the functions run on 24)
  // passes it through, so each one is decoded and re-encoded here.
  if (!labels.every(isValidLabelEncoding)) throw new InvalidAddressError('malformed domain');
  return ascii;
}

function isValidLabelEncoding(label: string): boolean {
  if (!label.startsWith('xn--')) return true;
  const unicode = domainToUnicode(label);
  return unicode !== '' && !unicode.startsWith('xn--') && /[^\x00-\x7f]/.test(unicode) && domainToASCII(unicode) === label;
}
