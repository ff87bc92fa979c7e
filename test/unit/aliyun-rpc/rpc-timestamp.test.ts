import {
  assertTimestampFresh,
  nonceExpiresAt,
  parseRpcTimestamp,
} from '../../../src/aliyun-rpc/rpc-timestamp.js';

describe('parseRpcTimestamp', () => {
  test('reads YYYY-MM-DDThh:mm:ssZ as UTC', () => {
    expect(parseRpcTimestamp('2016-02-23T12:46:24Z').toISOString()).toBe('2016-02-23T12:46:24.000Z');
    expect(parseRpcTimestamp('2024-02-29T23:59:59Z').toISOString()).toBe('2024-02-29T23:59:59.000Z');
  });

  test.each([
    '2016-02-23T12:46:24.123Z',
    '2016-02-23T12:46:24+08:00',
    '2016-02-23T12:46:24',
    '2016-02-23 12:46:24Z',
    '2016-2-23T12:46:24Z',
    '2016-02-23t12:46:24z',
    '2016-02-30T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '2016-13-01T12:00:00Z',
    '2016-02-23T24:00:00Z',
    '2016-02-23T12:60:00Z',
    '2016-02-23T12:00:60Z',
    '0050-01-01T00:00:00Z',
    'Tue, 23 Feb 2016 12:46:24 GMT',
    '1456231584',
    '',
  ])('refuses %j as InvalidTimeStamp.Format', (value) => {
    expect(() => parseRpcTimestamp(value)).toThrow(
      expect.objectContaining({ code: 'InvalidTimeStamp.Format', httpStatus: 400 }),
    );
  });
});

describe('assertTimestampFresh', () => {
  const now = new Date('2024-05-01T10:00:00Z');

  test('accepts up to the tolerance either way, inclusive', () => {
    expect(() => assertTimestampFresh(new Date('2024-05-01T09:45:00Z'), now, 900)).not.toThrow();
    expect(() => assertTimestampFresh(new Date('2024-05-01T10:15:00Z'), now, 900)).not.toThrow();
  });

  test.each(['2024-05-01T09:44:59Z', '2024-05-01T10:15:01Z', '2016-02-23T12:46:24Z'])(
    'refuses %s as InvalidTimeStamp.Expired',
    (value) => {
      expect(() => assertTimestampFresh(new Date(value), now, 900)).toThrow(
        expect.objectContaining({ code: 'InvalidTimeStamp.Expired' }),
      );
    },
  );

  test('keeps a nonce until its timestamp leaves the window', () => {
    expect(nonceExpiresAt(new Date('2024-05-01T10:00:00Z'), 900).toISOString()).toBe('2024-05-01T10:15:00.000Z');
  });
});
