import { createHmac } from 'node:crypto';
import { OtpIssuer, type RandomInteger } from '../../../src/domain/otp.js';

const KEY = new TextEncoder().encode('unit-test-otp-hash-key-0123456789abcdef');
const OTHER_KEY = new TextEncoder().encode('another-otp-hash-key-0123456789abcdef00');
const T = 1_800_000_000_000;
const ADDRESS = 'user@example.com';

const fixed = (value: number): RandomInteger => () => value;

describe('OtpIssuer', () => {
  test('issues 6 digits from the random source, zero-padded', () => {
    expect(new OtpIssuer(KEY, 600, fixed(42)).issue(ADDRESS, T).code).toBe('000042');
    expect(new OtpIssuer(KEY, 600, fixed(0)).issue(ADDRESS, T).code).toBe('000000');
    expect(new OtpIssuer(KEY, 600, fixed(999_999)).issue(ADDRESS, T).code).toBe('999999');
  });

  test('asks the random source for a number below 10^6', () => {
    const asked: number[] = [];
    new OtpIssuer(KEY, 600, (max) => {
      asked.push(max);
      return 7;
    }).issue(ADDRESS, T);
    expect(asked).toEqual([1_000_000]);
  });

  test('the default source is a CSPRNG giving 6-digit codes that vary', () => {
    const issuer = new OtpIssuer(KEY, 600);
    const codes = Array.from({ length: 200 }, () => issuer.issue(ADDRESS, T).code);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  test('stores only a keyed hash and a salt, never the code, and expires after its TTL', () => {
    const { code, stored } = new OtpIssuer(KEY, 600, fixed(123_456)).issue(ADDRESS, T);
    expect(code).toBe('123456');
    expect(stored.expiresAt).toBe(T + 600_000);
    expect(JSON.stringify(stored)).not.toContain('123456');
    expect(stored.hash).toMatch(/^[A-Za-z0-9_-]{22}$/); // HMAC-SHA256 cut to 128 bits, base64url
    expect(stored.salt).toMatch(/^[A-Za-z0-9_-]{16}$/); // 12 random bytes
  });

  test('the hash differs per salt, per address and per key', () => {
    const issuer = new OtpIssuer(KEY, 600, fixed(123_456));
    const a = issuer.issue(ADDRESS, T).stored;
    const b = issuer.issue(ADDRESS, T).stored;
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash); // same code, new salt
    // Same salt, other address: the copy never matches there.
    expect(issuer.match('123456', ADDRESS, [a])).toEqual(a);
    expect(issuer.match('123456', 'other@example.com', [a])).toBeUndefined();
    // Same salt and address, other key.
    expect(new OtpIssuer(OTHER_KEY, 600).match('123456', ADDRESS, [a])).toBeUndefined();
  });

  test('matches the code in either live candidate and says which', () => {
    const first = new OtpIssuer(KEY, 600, fixed(111_111)).issue(ADDRESS, T).stored;
    const second = new OtpIssuer(KEY, 600, fixed(222_222)).issue(ADDRESS, T + 1000).stored;
    const issuer = new OtpIssuer(KEY, 600);
    expect(issuer.match('111111', ADDRESS, [second, first])).toEqual(first);
    expect(issuer.match('222222', ADDRESS, [second, first])).toEqual(second);
    expect(issuer.match('333333', ADDRESS, [second, first])).toBeUndefined();
    expect(issuer.match('111111', ADDRESS, [])).toBeUndefined();
  });

  test('never matches a malformed code', () => {
    const stored = new OtpIssuer(KEY, 600, fixed(12_345)).issue(ADDRESS, T).stored;
    const issuer = new OtpIssuer(KEY, 600);
    expect(issuer.match('012345', ADDRESS, [stored])).toEqual(stored);
    for (const bad of ['12345', '0012345', ' 012345', '012345 ', '01234a', '', '０１２３４５', '012345\n']) {
      expect(issuer.match(bad, ADDRESS, [stored])).toBeUndefined();
    }
  });

  test('a full-length hash stored before the hashes were cut still matches, and only its own code', () => {
    const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
    const full = createHmac('sha256', KEY).update(`${salt}\u0000${ADDRESS}\u0000654321`).digest('base64url');
    const legacy = { hash: full, salt, expiresAt: T + 600_000 };
    const issuer = new OtpIssuer(KEY, 600);
    expect(full).toHaveLength(43);
    expect(issuer.match('654321', ADDRESS, [legacy])).toEqual(legacy);
    expect(issuer.match('654320', ADDRESS, [legacy])).toBeUndefined();
  });

  test('a stored hash of another length never matches (and never throws)', () => {
    const stored = new OtpIssuer(KEY, 600, fixed(1)).issue(ADDRESS, T).stored;
    const issuer = new OtpIssuer(KEY, 600);
    expect(issuer.match('000001', ADDRESS, [{ ...stored, hash: stored.hash.slice(0, 10) }])).toBeUndefined();
    expect(issuer.match('000001', ADDRESS, [{ ...stored, hash: '' }])).toBeUndefined();
  });

  test('a random source that throws makes issue throw (the create-OTP stage)', () => {
    const issuer = new OtpIssuer(KEY, 600, () => {
      throw new Error('entropy source failed');
    });
    expect(() => issuer.issue(ADDRESS, T)).toThrow('entropy source failed');
  });
});
