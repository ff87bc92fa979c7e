import { parseClientIp } from '../../../src/domain/client-ip.js';

describe('parseClientIp', () => {
  test('one IPv4 address, however it is spelled as IPv6, is one address and one limit key', () => {
    for (const spelling of ['198.51.100.7', '::ffff:198.51.100.7', '::FFFF:198.51.100.7', '0:0:0:0:0:ffff:198.51.100.7', '::ffff:c633:6407']) {
      expect([spelling, parseClientIp(spelling)]).toEqual([spelling, { address: '198.51.100.7', limitKey: '198.51.100.7' }]);
    }
  });

  test('IPv6 is canonical (lower case, compressed) and counted per /64', () => {
    expect(parseClientIp('2001:DB8:0:0:0:0:0:1')).toEqual({ address: '2001:db8::1', limitKey: '2001:db8:0:0::/64' });
    expect(parseClientIp('2001:db8:aa:bb:1:2:3:4')).toEqual({ address: '2001:db8:aa:bb:1:2:3:4', limitKey: '2001:db8:aa:bb::/64' });
    expect(parseClientIp('2001:db8:aa:bb:ffff::')!.limitKey).toBe(parseClientIp('2001:db8:aa:bb::9')!.limitKey);
    expect(parseClientIp('2001:db8:aa:bc::9')!.limitKey).not.toBe(parseClientIp('2001:db8:aa:bb::9')!.limitKey);
    expect(parseClientIp('::1')).toEqual({ address: '::1', limitKey: '0:0:0:0::/64' });
    expect(parseClientIp('64:ff9b::198.51.100.7')).toEqual({ address: '64:ff9b::c633:6407', limitKey: '64:ff9b:0:0::/64' });
  });

  test('anything else is not an address: zone ids, ranges, names, padding, oversized text', () => {
    for (const text of ['fe80::1%eth0', `fe80::1%${'x'.repeat(3000)}`, '300.1.2.3', '01.2.3.4', '198.51.100.7/32', 'localhost', ' 1.2.3.4', '1.2.3', '', '::ffff:999.1.1.1', '1.2.3.4\u0000']) {
      expect([text.slice(0, 40), parseClientIp(text)]).toEqual([text.slice(0, 40), undefined]);
    }
  });
});
