import OpenApiUtil from '@alicloud/openapi-util';

import { authenticateRpcRequest, type AuthenticateOptions } from '../../../src/aliyun-rpc/authenticate.js';
import { parseRpcRequest, type RpcProxyEvent } from '../../../src/aliyun-rpc/rpc-request.js';
import { ACS3_ALGORITHM, sha256Hex } from '../../../src/aliyun-rpc/signature-acs3.js';
import { signV1, stringToSignV1 } from '../../../src/aliyun-rpc/signature-v1.js';
import { proxyEvent, withHeaders, withQuery } from './support/events.js';

const NOW = new Date('2024-05-01T10:00:00Z');
const SECRETS: Record<string, string> = { AKID: 'the-secret' };
const options: AuthenticateOptions = { lookupSecret: (id) => SECRETS[id], now: NOW, toleranceSeconds: 900 };

function v1Params(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    Action: 'ResendEmailVerification',
    Email: 'a@x.com',
    Format: 'JSON',
    Version: '2018-01-29',
    AccessKeyId: 'AKID',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: 'nonce-1',
    Timestamp: '2024-05-01T09:59:30Z',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function signedV1Event(
  params: Record<string, string>,
  { secret = 'the-secret', method = 'GET' }: { secret?: string; method?: string } = {},
): RpcProxyEvent {
  const all = { ...params, Signature: signV1(secret, method, params) };
  if (method === 'GET') return proxyEvent(withQuery(all));
  return proxyEvent({
    httpMethod: 'POST',
    ...withHeaders({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams(all).toString(),
  });
}

async function failure(event: RpcProxyEvent, opts: AuthenticateOptions = options): Promise<{ code: string; message: string }> {
  try {
    await authenticateRpcRequest(parseRpcRequest(event), opts);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected authentication to fail');
}

describe('authenticateRpcRequest, v1', () => {
  test('accepts a correctly signed GET and reports who, which nonce and when', async () => {
    const caller = await authenticateRpcRequest(parseRpcRequest(signedV1Event(v1Params())), options);
    expect(caller).toEqual({
      accessKeyId: 'AKID',
      nonce: 'nonce-1',
      timestamp: new Date('2024-05-01T09:59:30Z'),
      nonceExpiresAt: new Date('2024-05-01T10:14:30Z'),
    });
  });

  test('accepts a correctly signed POST form and an async secret lookup', async () => {
    const params = v1Params({ Email: 'a+b@x.com,中@x.com', Note: "sp ace*~!'()" });
    const caller = await authenticateRpcRequest(parseRpcRequest(signedV1Event(params, { method: 'POST' })), {
      ...options,
      lookupSecret: async (id) => SECRETS[id],
    });
    expect(caller.accessKeyId).toBe('AKID');
  });

  test('refuses a signature made with another secret, quoting the server string to sign', async () => {
    const params = v1Params();
    const error = await failure(signedV1Event(params, { secret: 'wrong' }));
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).toBe(
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSignV1('GET', params)}`,
    );
    expect(error.message).toContain('server string to sign is:GET&%2F&AccessKeyId%3DAKID%26Action%3DResendEmailVerification');
  });

  test('refuses a GET signature replayed as POST', async () => {
    const params = v1Params();
    const event = proxyEvent({
      httpMethod: 'POST',
      ...withHeaders({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ ...params, Signature: signV1('the-secret', 'GET', params) }).toString(),
    });
    expect((await failure(event)).code).toBe('SignatureDoesNotMatch');
  });

  test('refuses a tampered parameter', async () => {
    const params = v1Params();
    const event = proxyEvent(withQuery({ ...params, Email: 'evil@x.com', Signature: signV1('the-secret', 'GET', params) }));
    expect((await failure(event)).code).toBe('SignatureDoesNotMatch');
  });

  test.each(['AccessKeyId', 'Action', 'Version', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp'])(
    'reports a missing %s as MissingParameter',
    async (name) => {
      const error = await failure(signedV1Event(v1Params({ [name]: undefined })));
      expect(error).toMatchObject({
        code: 'MissingParameter',
        httpStatus: 400,
        message: `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
      });
    },
  );

  test('reports a missing Signature as MissingParameter', async () => {
    const error = await failure(proxyEvent(withQuery(v1Params())));
    expect(error).toMatchObject({ code: 'MissingParameter', message: expect.stringContaining('"Signature"') });
  });

  test.each([
    ['SignatureMethod', 'HMAC-SHA256'],
    ['SignatureVersion', '2.0'],
  ])('refuses %s=%s as IncompleteSignature', async (name, value) => {
    expect((await failure(signedV1Event(v1Params({ [name]: value })))).code).toBe('IncompleteSignature');
  });

  test('checks the timestamp format before the key and the signature', async () => {
    const error = await failure(signedV1Event(v1Params({ Timestamp: '2024-05-01T09:59:30.000Z', AccessKeyId: 'nobody' }), { secret: 'x' }));
    expect(error.code).toBe('InvalidTimeStamp.Format');
  });

  test('refuses a timestamp more than 15 minutes off, before looking up the key', async () => {
    let lookups = 0;
    const counting: AuthenticateOptions = { ...options, lookupSecret: (id) => ((lookups += 1), SECRETS[id]) };
    expect((await failure(signedV1Event(v1Params({ Timestamp: '2024-05-01T09:44:59Z' })), counting)).code).toBe(
      'InvalidTimeStamp.Expired',
    );
    expect((await failure(signedV1Event(v1Params({ Timestamp: '2024-05-01T10:15:01Z' })), counting)).code).toBe(
      'InvalidTimeStamp.Expired',
    );
    expect(lookups).toBe(0);
  });

  test('honours another tolerance', async () => {
    const event = signedV1Event(v1Params({ Timestamp: '2024-05-01T09:58:00Z' }));
    expect((await failure(event, { ...options, toleranceSeconds: 60 })).code).toBe('InvalidTimeStamp.Expired');
    await expect(authenticateRpcRequest(parseRpcRequest(event), options)).resolves.toMatchObject({ accessKeyId: 'AKID' });
  });

  test('reports an unknown (or secretless) access key as InvalidAccessKeyId.NotFound', async () => {
    const error = await failure(signedV1Event(v1Params({ AccessKeyId: 'nobody' })));
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', httpStatus: 404, message: 'Specified access key is not found.' });
    expect((await failure(signedV1Event(v1Params()), { ...options, lookupSecret: () => '' })).code).toBe(
      'InvalidAccessKeyId.NotFound',
    );
  });
});

describe('authenticateRpcRequest, ACS3', () => {
  interface Acs3Request {
    method?: string;
    query?: Record<string, string>;
    body?: string;
    headers?: Record<string, string>;
    secret?: string;
    /** Headers added after signing, so they are not covered. */
    unsignedHeaders?: Record<string, string>;
    sentBody?: string;
  }

  /** Signs as @alicloud/openapi-client does, with its own signing code. */
  function signedAcs3Event({
    method = 'POST',
    query = { Email: 'a@x.com' },
    body,
    headers = {},
    secret = 'the-secret',
    unsignedHeaders = {},
    sentBody = body,
  }: Acs3Request = {}): RpcProxyEvent {
    const hashed = sha256Hex(body ?? '');
    const clientHeaders: Record<string, string> = {
      host: 'rpc.example.com',
      'x-acs-version': '2018-01-29',
      'x-acs-action': 'ResendEmailVerification',
      'user-agent': 'test',
      'x-acs-date': '2024-05-01T09:59:30Z',
      'x-acs-signature-nonce': 'nonce-3',
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      'x-acs-content-sha256': hashed,
      ...headers,
    };
    const authorization = OpenApiUtil.default.getAuthorization(
      { method, pathname: '/', query, headers: clientHeaders } as never,
      ACS3_ALGORITHM,
      hashed,
      'AKID',
      secret,
    );
    return proxyEvent({
      httpMethod: method,
      ...withQuery(query),
      ...withHeaders({ ...clientHeaders, ...unsignedHeaders, Authorization: authorization }),
      body: sentBody ?? null,
    });
  }

  test('accepts a request signed by the Tea signing code, query parameters only', async () => {
    const request = parseRpcRequest(signedAcs3Event());
    await expect(authenticateRpcRequest(request, options)).resolves.toEqual({
      accessKeyId: 'AKID',
      nonce: 'nonce-3',
      timestamp: new Date('2024-05-01T09:59:30Z'),
      nonceExpiresAt: new Date('2024-05-01T10:14:30Z'),
    });
    expect(request.params).toMatchObject({ Action: 'ResendEmailVerification', Email: 'a@x.com', AccessKeyId: 'AKID' });
  });

  test('accepts a form body covered by its hash', async () => {
    const request = parseRpcRequest(signedAcs3Event({ query: {}, body: 'Email=a%40x.com&Lang=zh' }));
    await expect(authenticateRpcRequest(request, options)).resolves.toMatchObject({ accessKeyId: 'AKID' });
    expect(request.params).toMatchObject({ Email: 'a@x.com', Lang: 'zh' });
  });

  test('refuses another secret, a tampered query and a swapped body', async () => {
    expect((await failure(signedAcs3Event({ secret: 'wrong' }))).code).toBe('SignatureDoesNotMatch');
    const tampered = signedAcs3Event();
    expect(
      (await failure({ ...tampered, ...withQuery({ Email: 'evil@x.com' }) })).code,
    ).toBe('SignatureDoesNotMatch');
    const swapped = await failure(signedAcs3Event({ query: {}, body: 'Email=a%40x.com', sentBody: 'Email=evil%40x.com' }));
    expect(swapped.code).toBe('SignatureDoesNotMatch');
    expect(swapped.message).toContain('x-acs-content-sha256');
  });

  test('quotes the server string to sign', async () => {
    const error = await failure(signedAcs3Event({ secret: 'wrong' }));
    expect(error.message).toMatch(/server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
  });

  test.each(['x-acs-action', 'x-acs-version', 'x-acs-signature-nonce', 'x-acs-date', 'x-acs-content-sha256', 'host'])(
    'reports a missing %s header as MissingParameter',
    async (name) => {
      const event = signedAcs3Event();
      const headers = Object.fromEntries(Object.entries(event.headers).filter(([key]) => key !== name));
      expect(await failure({ ...event, ...withHeaders(headers as Record<string, string>) })).toMatchObject({
        code: 'MissingParameter',
        message: expect.stringContaining(`"${name}"`),
      });
    },
  );

  test('refuses an x-acs-* header left out of the signature', async () => {
    const error = await failure(signedAcs3Event({ unsignedHeaders: { 'x-acs-extra': 'sneaked in' } }));
    expect(error).toMatchObject({ code: 'IncompleteSignature', message: expect.stringContaining('x-acs-extra') });
  });

  test('checks the x-acs-date format and freshness', async () => {
    expect((await failure(signedAcs3Event({ headers: { 'x-acs-date': 'Wed, 01 May 2024 09:59:30 GMT' } }))).code).toBe(
      'InvalidTimeStamp.Format',
    );
    expect((await failure(signedAcs3Event({ headers: { 'x-acs-date': '2024-05-01T09:30:00Z' } }))).code).toBe(
      'InvalidTimeStamp.Expired',
    );
  });

  test('reports an unknown credential as InvalidAccessKeyId.NotFound', async () => {
    expect((await failure(signedAcs3Event(), { ...options, lookupSecret: () => undefined })).code).toBe(
      'InvalidAccessKeyId.NotFound',
    );
  });
});
