import { canonicalQueryString, compareKeys } from '../../../src/aliyun-rpc/canonical-query.js';
import { percentEncode } from '../../../src/aliyun-rpc/percent-encode.js';

describe('percentEncode', () => {
  test.each([
    ['a b', 'a%20b'],
    ['*', '%2A'],
    ['~', '~'],
    ['/', '%2F'],
    ['+', '%2B'],
    ['=', '%3D'],
    ['&', '%26'],
    ["!'()", '%21%27%28%29'],
    ['AZaz09-_.~', 'AZaz09-_.~'],
    ['中文', '%E4%B8%AD%E6%96%87'],
    ['😀', '%F0%9F%98%80'],
    ['é', '%C3%A9'],
    ['%', '%25'],
    [':', '%3A'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });

  test('uses upper-case hex', () => {
    expect(percentEncode('\u00ff\n')).toBe('%C3%BF%0A');
  });

  test('refuses a lone surrogate instead of signing a replacement character', () => {
    expect(() => percentEncode('\ud800')).toThrow(URIError);
  });
});

describe('canonicalQueryString', () => {
  test('sorts by key and encodes keys and values', () => {
    expect(canonicalQueryString({ b: '2 3', A: '*', a: '~/', 'k y': 'v' })).toBe('A=%2A&a=~%2F&b=2%203&k%20y=v');
  });

  test('orders by code point (UTF-8 byte order), not UTF-16 units', () => {
    // U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) but before it by code point.
    expect(compareKeys('\uff5e', '😀')).toBeLessThan(0);
    expect(compareKeys('A', 'AB')).toBeLessThan(0);
    expect(compareKeys('B', 'AB')).toBeGreaterThan(0);
    expect(compareKeys('same', 'same')).toBe(0);
  });
});
