/**
 * Hostile input through the local API Gateway bridge to the real handlers (DynamoDB Local, the
 * local SES): parameter and header names that are Object.prototype's own, answers in the format
 * asked even when the request cannot be parsed, oversized input refused before any signature
 * work, bounded error answers, bounded nonces, canonical client IPs, and the page's and IAM
 * verify's headers. Every answer is a documented one; none is a 5xx.
 */
import { randomUUID } from 'node:crypto';
import { ROUTES } from '../../lambdas/routes.js';
import { MAX_ERROR_BODY_BYTES } from '../../src/aliyun-rpc/index.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import { expectIamResponse } from '../support/openapi-iam.js';
import {
  encodeRpcParams,
  fetchRaw,
  freshAccessKey,
  freshClientIp,
  parseXml,
  rpcTimestamp,
  signRpcParams,
  startRpcTestApi,
  type RawResponse,
  type RpcTestApi,
  type SendLists,
} from '../support/rpc-clients.js';
import { extractCode, extractLink, mailsTo } from '../support/ses-inbox.js';

const JSON_TYPE = 'application/json;charset=utf-8';
const XML_TYPE = 'text/xml;charset=utf-8';
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

let api: RpcTestApi;
beforeAll(async () => {
  api = await startRpcTestApi({ env: { RESEND_COOLDOWN_SECONDS: '0', RPC_MAX_PER_CLIENT_IP_PER_HOUR: '1' } });
});
afterAll(async () => api.stop());

/** Parameters with own properties of any name (an object literal would make `__proto__` a prototype). */
const paramsOf = (...entries: Array<[string, string]>) => Object.fromEntries(entries) as Record<string, string>;

async function signed(method: 'GET' | 'POST', params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawResponse> {
  const wire = encodeRpcParams(signRpcParams(params, { key: api.key, method }));
  if (method === 'GET') return fetchRaw(`${api.baseUrl}/?${wire}`, { headers });
  return fetchRaw(`${api.baseUrl}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: wire,
  });
}

const jsonOf = (response: RawResponse) => JSON.parse(response.text) as Record<string, unknown>;

describe("names that are Object.prototype's own", () => {
  test.each(PROTOTYPE_NAMES)('%s as a query parameter and a header name: RPC (signed and not), IAM and the page answer as documented', async (name) => {
    const header = { [name]: 'x' };
    const [rpcAddress, iamAddress] = [freshAddress('proto-rpc'), freshAddress('proto-iam')];

    // A signed extra parameter is a parameter like any other: the call succeeds.
    for (const method of ['GET', 'POST'] as const) {
      const response = await signed(method, paramsOf(['Action', 'SubmitEmailVerification'], ['Email', rpcAddress], ['Format', 'JSON'], [name, '1']), header);
      expect([method, response.status]).toEqual([method, 200]);
      expect((jsonOf(response) as unknown as SendLists).SuccessList.length + (jsonOf(response) as unknown as SendLists).ExistList!.length).toBe(1);
    }
    // Unsigned, it is just a request without its signature.
    const unsigned = await fetchRaw(`${api.baseUrl}/?${encodeURIComponent(name)}=1&Format=JSON`, { headers: header });
    expect([unsigned.status, jsonOf(unsigned).Code]).toEqual([400, 'MissingParameter']);

    // The IAM routes, with the name in the query and the headers.
    const token = await startEmailVerification(iamAddress, { dependencies: api.deps });
    const code = extractCode((await mailsTo(iamAddress))[0]!);
    const iam = (path: string, init: RequestInit) =>
      fetch(`${api.baseUrl}${path}?${encodeURIComponent(name)}=1`, { method: 'POST', ...init, headers: { ...header, ...init.headers, Authorization: `Bearer ${token}` } });
    const resend = await iam(ROUTES.resendCode.path, {});
    expect(resend.status).toBe(201);
    const verify = await iam(ROUTES.verifyCode.path, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, [name]: 1 }) });
    expectIamResponse(ROUTES.verifyCode.path, 'POST', verify.status, Object.fromEntries(verify.headers), await verify.text());
    expect(verify.status).toBe(200);

    // The page, shown and confirmed, with the name in the query, the form and the headers.
    const link = new URL(extractLink((await mailsTo(rpcAddress))[0]!));
    link.searchParams.append(name, '1');
    const page = await fetchRaw(link.toString(), { headers: header });
    expect(page.status).toBe(200);
    const confirm = await fetchRaw(`${api.baseUrl}${ROUTES.confirmVerificationPage.path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...header },
      body: `${encodeURIComponent(name)}=1&token=${link.searchParams.get('token')}`,
    });
    expect([confirm.status, confirm.text]).toEqual([200, expect.stringContaining('Email address verified')]);
  });
});

describe('the answer format is decided the same way for every answer', () => {
  test.each([
    ['a repeated parameter', (body: string) => `${body}&Email=again%40example.com`, 'InvalidParameter'],
    ['an undecodable escape', (body: string) => `${body}&Lang=%E0%A4%A`, 'InvalidParameter'],
    ['an unknown access key', (body: string) => body.replace(/AccessKeyId=[^&]*/, 'AccessKeyId=nobody'), 'InvalidAccessKeyId.NotFound'],
  ])('Format=JSON in a POST body whose request fails (%s) is answered in JSON', async (_, spoil, code) => {
    const body = encodeRpcParams(signRpcParams({ Action: 'ResendEmailVerification', Email: freshAddress('fmt'), Format: 'JSON' }, { key: api.key, method: 'POST' }));
    const response = await fetchRaw(`${api.baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: spoil(body) });
    expect(response.contentType).toBe(JSON_TYPE);
    expect(jsonOf(response).Code).toBe(code);
  });
});

describe('sizes', () => {
  test('a body over RPC_MAX_REQUEST_BYTES is RequestTooLarge (413) before any signature work, small, in the format asked', async () => {
    const email = 'a'.repeat(200_000);
    for (const [format, type] of [['JSON', JSON_TYPE], ['', XML_TYPE]] as const) {
      const body = `Format=${format}&AccessKeyId=${api.key.accessKeyId}&Action=ResendEmailVerification&Timestamp=${rpcTimestamp()}&Email=${email}`;
      const response = await fetchRaw(`${api.baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
      expect([response.status, response.contentType]).toEqual([413, type]);
      const error = type === JSON_TYPE ? jsonOf(response) : (parseXml(response.text).Error as Record<string, unknown>);
      expect(error).toMatchObject({ Code: 'RequestTooLarge', Message: expect.stringContaining('65536 bytes') });
      expect(response.text.length).toBeLessThan(1_000);
    }
  });

  test('50 addresses of the longest legal length, every byte percent-encoded, fit', async () => {
    const local = (i: number) => `${String(i).padStart(2, '0')}${'x'.repeat(62)}`;
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(53)}.example`;
    const emails = Array.from({ length: 50 }, (_, i) => `${local(i)}@${domain}`);
    expect(emails.every((email) => email.length === 254)).toBe(true);
    const params = signRpcParams({ Action: 'ResendEmailVerification', Email: emails.join(','), Format: 'JSON' }, { key: api.key, method: 'POST' });
    const everyByte = (text: string) => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const body = Object.entries(params).map(([name, value]) => `${name}=${everyByte(value)}`).join('&');
    expect(body.length).toBeGreaterThan(38_000);
    const response = await fetchRaw(`${api.baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBe(200);
    expect((jsonOf(response) as unknown as SendLists).FailList.map((entry) => entry.Code)).toEqual(new Array(50).fill('EmailNotSubmitted'));
  });

  test('an unsigned request with a known key and a fresh timestamp: SignatureDoesNotMatch, its string to sign shown only in part', async () => {
    const params = paramsOf(
      ['AccessKeyId', api.key.accessKeyId],
      ['Action', 'ResendEmailVerification'],
      ['Email', Array.from({ length: 50 }, (_, i) => `user${i}+${'&<>"'.repeat(40)}@example.com`).join(',')],
      ['Format', 'XML'],
      ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureNonce', randomUUID()],
      ['SignatureVersion', '1.0'],
      ['Timestamp', rpcTimestamp()],
      ['Version', '2018-01-29'],
      ['Signature', 'forged'],
    );
    const response = await fetchRaw(`${api.baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: encodeRpcParams(params) });
    expect(response.status).toBe(400);
    const message = (parseXml(response.text).Error as Record<string, string>).Message;
    expect(message).toMatch(/^Specified signature is not matched with our calculation\. server string to sign is:POST&%2F&AccessKeyId%3D/);
    expect(message).toMatch(/\.\.\.\(\d+ more characters\)$/);
    expect(Buffer.byteLength(response.text)).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
  });

  test('a SignatureNonce over 400 characters is InvalidParameter (400); 400 is accepted', async () => {
    const email = freshAddress('nonce');
    const call = (nonce: string) =>
      fetchRaw(`${api.baseUrl}/?${encodeRpcParams(signRpcParams({ Action: 'SubmitEmailVerification', Email: email, Format: 'JSON' }, { key: api.key, nonce }))}`);
    const long = await call(`${randomUUID()}${'n'.repeat(2_100)}`);
    expect([long.status, jsonOf(long).Code, jsonOf(long).Message]).toEqual([400, 'InvalidParameter', expect.stringContaining('SignatureNonce')]);
    const astral = await call('\u{1F600}'.repeat(201));
    expect([astral.status, jsonOf(astral).Code]).toEqual([400, 'InvalidParameter']);
    const longest = await call(`${randomUUID()}${'n'.repeat(364)}`);
    expect(longest.status).toBe(200);
    expect(await mailsTo(email)).toHaveLength(1);
  });
});

describe('UserClientIp', () => {
  test('the four spellings of one IPv4 address share one hourly allowance, and it is reported canonical', async () => {
    const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const key = freshAccessKey('ip-spellings');
    const own = await startRpcTestApi({ env: { RPC_MAX_PER_CLIENT_IP_PER_HOUR: '1' }, key });
    try {
      const emails = freshAddresses(4, 'ip-spelling');
      const spellings = [ip, `::ffff:${ip}`, `::FFFF:${ip}`, `0:0:0:0:0:ffff:${ip}`];
      const codes: string[] = [];
      for (const [i, spelling] of spellings.entries()) {
        const response = await fetchRaw(
          `${own.baseUrl}/?${encodeRpcParams(signRpcParams({ Action: 'SubmitEmailVerification', Email: emails[i]!, UserClientIp: spelling, Format: 'JSON' }, { key }))}`,
        );
        const lists = jsonOf(response) as unknown as SendLists;
        codes.push(...[...lists.SuccessList, ...lists.FailList].map((entry) => entry.Code));
      }
      expect(codes).toEqual(['Success', 'ClientIpLimitExceeded', 'ClientIpLimitExceeded', 'ClientIpLimitExceeded']);
      const query = await fetchRaw(`${own.baseUrl}/?${encodeRpcParams(signRpcParams({ Action: 'QueryEmailVerification', Email: emails[0]!, Format: 'JSON' }, { key }))}`);
      expect(jsonOf(query).SendIp).toBe(ip);
    } finally {
      await own.stop();
    }
  });

  test('IPv6 is counted per /64; zone ids are refused with InvalidParameter, however long', async () => {
    const network = freshClientIp().split(':').slice(0, 4).join(':');
    const send = (ip: string, email: string) =>
      fetchRaw(`${api.baseUrl}/?${encodeRpcParams(signRpcParams({ Action: 'SubmitEmailVerification', Email: email, UserClientIp: ip, Format: 'JSON' }, { key: api.key }))}`);
    const [a, b, c] = freshAddresses(3, 'ip-64');
    expect((jsonOf(await send(`${network}::1`, a!)) as unknown as SendLists).SuccessList).toHaveLength(1);
    const sameNetwork = jsonOf(await send(`${network}:ffff:ffff:ffff:fffe`, b!)) as unknown as SendLists;
    expect(sameNetwork.FailList.map((entry) => entry.Code)).toEqual(['ClientIpLimitExceeded']);
    for (const zoned of ['fe80::1%eth0', `fe80::1%${'z'.repeat(3_000)}`]) {
      const refused = await send(zoned, c!);
      expect([refused.status, jsonOf(refused).Code, jsonOf(refused).Message]).toEqual([400, 'InvalidParameter', expect.stringContaining('UserClientIp')]);
    }
    expect(await mailsTo(c!)).toHaveLength(0);
  });
});

describe('headers', () => {
  test('the page is never framed and is HTTPS-only', async () => {
    const email = freshAddress('page-headers');
    await signed('GET', { Action: 'SubmitEmailVerification', Email: email });
    for (const link of [extractLink((await mailsTo(email))[0]!), `${api.baseUrl}${ROUTES.showVerificationPage.path}?token=bad`]) {
      const response = await fetch(link);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  test('IAM verify takes only JSON bodies: another or no Content-Type is a documented 415, and the code is not spent', async () => {
    const email = freshAddress('iam-415');
    const token = await startEmailVerification(email, { dependencies: api.deps });
    const code = extractCode((await mailsTo(email))[0]!);
    const verify = async (headers: Record<string, string>, body: string) => {
      const response = await fetch(`${api.baseUrl}${ROUTES.verifyCode.path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, ...headers }, body });
      const text = await response.text();
      expectIamResponse(ROUTES.verifyCode.path, 'POST', response.status, Object.fromEntries(response.headers), text);
      return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
    };
    const refused = { status: 415, body: { group: 'request', code: 415, message: 'The request body must be application/json.' } };
    expect(await verify({ 'Content-Type': 'application/x-www-form-urlencoded' }, `code=${code}`)).toEqual(refused);
    expect(await verify({ 'Content-Type': 'text/plain' }, JSON.stringify({ code }))).toEqual(refused);
    expect(await verify({}, new Blob([JSON.stringify({ code })]) as unknown as string)).toEqual(refused);
    expect((await api.deps.store.find(email))!.guesses).toBe(0);
    expect(await verify({ 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify({ code }))).toEqual({
      status: 200,
      body: { email, emailVerified: true },
    });
  });
});
