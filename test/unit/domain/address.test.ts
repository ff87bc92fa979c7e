import { normalizeEmailAddress } from '../../../src/domain/address.js';
import { InvalidAddressError } from '../../../src/domain/errors.js';

describe('normalizeEmailAddress', () => {
  test('trims, lower-cases the domain only, and keys on the whole address lower-cased', () => {
    expect(normalizeEmailAddress('  Jane.Doe@Example.COM \t')).toEqual({
      address: 'Jane.Doe@example.com',
      key: 'jane.doe@example.com',
    });
  });

  test('refuses CR/LF even where trimming would remove it', () => {
    for (const raw of ['victim@example.com\r\n', '\nvictim@example.com', 'victim@example.com\r']) {
      expect(() => normalizeEmailAddress(raw)).toThrow(InvalidAddressError);
    }
  });

  test('refuses punycode that does not decode', () => {
    // Node 20's domainToASCII refuses these itself; Node 24's (the functions' runtime) passes them.
    for (const domain of ['xn--zz.com', 'XN--ZZ.com', 'xn--a.com', 'xn--bcher-kva.xn--zz', 'xn--abc-.com']) {
      expect(() => normalizeEmailAddress(`a@${domain}`)).toThrow(InvalidAddressError);
    }
    expect(normalizeEmailAddress('a@XN--BCHER-KVA.de').address).toBe('a@xn--bcher-kva.de');
  });

  test('converts an IDN domain to punycode', () => {
    expect(normalizeEmailAddress('user@Bücher.example')).toEqual({
      address: 'user@xn--bcher-kva.example',
      key: 'user@xn--bcher-kva.example',
    });
    expect(normalizeEmailAddress('Max@ÉXAMPLE.com')).toEqual({ address: 'Max@xn--xample-9ua.com', key: 'max@xn--xample-9ua.com' });
    expect(normalizeEmailAddress('a@例え.テスト').address).toBe('a@xn--r8jz45g.xn--zckzah');
    // The Unicode and the punycode spelling are one record.
    expect(normalizeEmailAddress('user@bücher.example').key).toBe(normalizeEmailAddress('USER@xn--bcher-kva.EXAMPLE').key);
  });

  test('accepts the dot-atom characters a real address may hold', () => {
    for (const raw of ["o'neil@example.com", 'first.last+tag@sub.example.co', 'a_b-c=d#e$f!g@x-y.example.org', 'x@b.xn--p1ai']) {
      expect(normalizeEmailAddress(raw).address).toBe(raw);
    }
  });

  test.each([
    ['CR/LF header injection', 'victim@example.com\r\nBcc: everyone@example.com'],
    ['a bare LF inside', 'a\nb@example.com'],
    ['a bare CR inside', 'a@exa\rmple.com'],
    ['a NUL', 'a@b\u0000.com'],
    ['a tab inside', 'a\tb@example.com'],
    ['a comma (second recipient)', 'a@example.com,b@example.com'],
    ['a comma in the local part', 'a,b@example.com'],
    ['a semicolon', 'a@example.com;b@example.com'],
    ['a space', 'john doe@example.com'],
    ['a space in the domain', 'a@exa mple.com'],
    ['a quoted local part', '"john doe"@example.com'],
    ['a double quote', 'jo"hn@example.com'],
    ['a display name', 'John <john@example.com>'],
    ['angle brackets', '<john@example.com>'],
    ['empty', ''],
    ['only spaces', '   '],
    ['no @', 'john.example.com'],
    ['no local part', '@example.com'],
    ['no domain', 'john@'],
    ['two @', 'a@b@example.com'],
    ['a leading dot', '.john@example.com'],
    ['a trailing dot in the local part', 'john.@example.com'],
    ['two dots', 'jo..hn@example.com'],
    ['a single-label domain', 'john@localhost'],
    ['an empty label', 'john@example..com'],
    ['a leading dot in the domain', 'john@.example.com'],
    ['a trailing dot in the domain', 'john@example.com.'],
    ['a hyphen-led label', 'john@-example.com'],
    ['a hyphen-ended label', 'john@example-.com'],
    ['an underscore in the domain', 'john@ex_ample.com'],
    ['a one-letter top level', 'john@example.c'],
    ['a numeric top level', 'john@1.2.3.4'],
    ['an address literal', 'john@[127.0.0.1]'],
    ['a label over 63 characters', `john@${'b'.repeat(64)}.com`],
    ['a local part over 64 characters', `${'x'.repeat(65)}@example.com`],
    ['an address over 254 characters', `${'x'.repeat(64)}@${`${'b'.repeat(62)}.`.repeat(3)}com`],
    ['a non-ASCII local part', 'jöhn@example.com'],
  ])('rejects %s', (_label, raw) => {
    expect(() => normalizeEmailAddress(raw)).toThrow(InvalidAddressError);
  });

  test('the longest valid address is accepted (254 characters)', () => {
    const raw = `${'x'.repeat(64)}@${`${'b'.repeat(61)}.`.repeat(3)}${'c'.repeat(3)}`;
    expect(raw.length).toBe(254);
    expect(normalizeEmailAddress(raw).address).toBe(raw);
  });

  test('the error says why, without echoing the input', () => {
    const error = (() => {
      try {
        normalizeEmailAddress('secret-person@example.com\r\nX: y');
      } catch (caught) {
        return caught as InvalidAddressError;
      }
      throw new Error('expected a throw');
    })();
    expect(error.code).toBe('ADDRESS_INVALID');
    expect(error.message).not.toContain('secret-person');
  });
});
