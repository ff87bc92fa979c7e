import OpenApiUtil from '@alicloud/openapi-util';

import { RpcRequestError } from '../../../src/aliyun-rpc/rpc-errors.js';
import {
  ACS3_ALGORITHM,
  canonicalRequestAcs3,
  canonicalUri,
  isAcs3Authorization,
  parseAcs3Authorization,
  sha256Hex,
  signAcs3,
  stringToSignAcs3,
  verifySignatureAcs3,
} from '../../../src/aliyun-rpc/signature-acs3.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const headers = {
  host: 'rpc.example.com',
  'x-acs-action': 'ResendEmailVerification',
  'x-acs-version': '2018-01-29',
  'x-acs-date': '2024-05-01T10:00:00Z',
  'x-acs-signature-nonce': 'abc123',
  'x-acs-content-sha256': EMPTY_SHA256,
  'user-agent': 'not signed',
  accept: 'application/json',
};
const query = { Email: 'a@x.com,b@x.com', Lang: 'zh', Note: 'a b*~' };

describe('parseAcs3Authorization', () => {
  const signature = 'ab'.repeat(32);

  test('reads the three fields, lower-casing header names and hex', () => {
    expect(
      parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;X-Acs-Date,Signature=${signature.toUpperCase()}`),
    ).toEqual({ accessKeyId: 'AKID', signedHeaders: ['host', 'x-acs-date'], signature });
  });

  test('tolerates spaces after the commas', () => {
    expect(parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=AKID, SignedHeaders=host, Signature=${signature}`)).toEqual({
      accessKeyId: 'AKID',
      signedHeaders: ['host'],
      signature,
    });
  });

  test.each([
    ['another algorithm', `ACS3-HMAC-SM3 Credential=AKID,SignedHeaders=host,Signature=${signature}`],
    ['no fields', 'ACS3-HMAC-SHA256'],
    ['a missing Credential', `ACS3-HMAC-SHA256 SignedHeaders=host,Signature=${signature}`],
    ['an empty Credential', `ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=${signature}`],
    ['a repeated field', `ACS3-HMAC-SHA256 Credential=A,Credential=B,SignedHeaders=host,Signature=${signature}`],
    ['an extra field', `ACS3-HMAC-SHA256 Credential=A,SignedHeaders=host,Signature=${signature},X=1`],
    ['a short signature', 'ACS3-HMAC-SHA256 Credential=A,SignedHeaders=host,Signature=abcd'],
    ['a repeated signed header', `ACS3-HMAC-SHA256 Credential=A,SignedHeaders=host;Host,Signature=${signature}`],
    ['an empty signed header', `ACS3-HMAC-SHA256 Credential=A,SignedHeaders=host;;x-acs-date,Signature=${signature}`],
  ])('refuses %s as IncompleteSignature', (_, header) => {
    expect(() => parseAcs3Authorization(header)).toThrow(expect.objectContaining({ code: 'IncompleteSignature' }));
  });

  test('recognises the V3 family only', () => {
    expect(isAcs3Authorization('ACS3-HMAC-SHA256 Credential=x')).toBe(true);
    expect(isAcs3Authorization('acs AKID:signature')).toBe(false);
    expect(isAcs3Authorization(undefined)).toBe(false);
  });
});

describe('canonical request and signature', () => {
  const signedHeaders = ['x-acs-version', 'host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce'];

  test('has the six lines the scheme defines', () => {
    const canonical = canonicalRequestAcs3({ method: 'post', path: '/', query, headers, signedHeaders, hashedPayload: EMPTY_SHA256 });
    expect(canonical).toBe(
      [
        'POST',
        '/',
        'Email=a%40x.com%2Cb%40x.com&Lang=zh&Note=a%20b%2A~',
        'host:rpc.example.com',
        'x-acs-action:ResendEmailVerification',
        'x-acs-content-sha256:' + EMPTY_SHA256,
        'x-acs-date:2024-05-01T10:00:00Z',
        'x-acs-signature-nonce:abc123',
        'x-acs-version:2018-01-29',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        EMPTY_SHA256,
      ].join('\n'),
    );
    expect(stringToSignAcs3(canonical)).toBe(`${ACS3_ALGORITHM}\n${sha256Hex(canonical)}`);
  });

  test('matches the signature @alicloud/openapi-util computes for the same request', () => {
    const clientHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
    const body = 'Email=a%40x.com';
    const hashedPayload = sha256Hex(body);
    const authorization = OpenApiUtil.default.getAuthorization(
      { method: 'POST', pathname: '/', query, headers: { ...clientHeaders, 'x-acs-content-sha256': hashedPayload } } as never,
      ACS3_ALGORITHM,
      hashedPayload,
      'AKID',
      'the-secret',
    );
    const parsed = parseAcs3Authorization(authorization);
    const input = {
      method: 'POST',
      path: '/',
      query,
      headers: { ...clientHeaders, 'x-acs-content-sha256': hashedPayload },
      signedHeaders: parsed.signedHeaders,
      hashedPayload,
    };
    expect(parsed.signedHeaders).toContain('content-type');
    expect(verifySignatureAcs3('the-secret', input, parsed.signature).matches).toBe(true);
    expect(signAcs3('the-secret', stringToSignAcs3(canonicalRequestAcs3(input)))).toBe(parsed.signature);
    expect(verifySignatureAcs3('wrong-secret', input, parsed.signature).matches).toBe(false);
    expect(verifySignatureAcs3('the-secret', { ...input, query: { ...query, Lang: 'en' } }, parsed.signature).matches).toBe(false);
  });

  test('needs every signed header to be present', () => {
    expect(() =>
      canonicalRequestAcs3({ method: 'GET', path: '/', query: {}, headers: {}, signedHeaders: ['host'], hashedPayload: EMPTY_SHA256 }),
    ).toThrow(RpcRequestError);
  });

  test('encodes path segments and keeps slashes', () => {
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/prod/a b*')).toBe('/prod/a%20b%2A');
  });

  test('hashes the empty payload as the clients do', () => {
    expect(sha256Hex(Buffer.alloc(0))).toBe(EMPTY_SHA256);
  });
});
