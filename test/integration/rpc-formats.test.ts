/**
 * Wire formats of the RPC endpoint, seen through raw signed requests (parameters + the service's
 * own signV1, sent with fetch) and the Tea client (ACS3-HMAC-SHA256), against the real rpc
 * handler module, DynamoDB Local and the local SES: XML by default, JSON on request, Aliyun's
 * error bodies and statuses, and echoed input escaped in both.
 */
import { freshAddress } from '../support/fresh-address.js';
import { startTestApi, type TestApi } from '../support/local-api.js';
import {
  fetchRaw,
  freshAccessKey,
  parseXml,
  rejection,
  rpcRequest,
  teaCall,
  xmlElementOutline,
  type AccessKey,
  type RawResponse,
} from '../support/rpc-clients.js';
import { mailsTo } from '../support/ses-inbox.js';

const XML_TYPE = 'text/xml;charset=utf-8';
const JSON_TYPE = 'application/json;charset=utf-8';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const key: AccessKey = freshAccessKey('formats');
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    RPC_ACCESS_KEY_ID: key.accessKeyId,
    RPC_ACCESS_KEY_SECRET: key.accessKeySecret,
    RESEND_COOLDOWN_SECONDS: '0',
  });
});
afterAll(async () => api.stop());

type Method = 'GET' | 'POST';

function send(params: Record<string, string>, options: { method?: Method; format?: string; key?: AccessKey } = {}) {
  return rpcRequest(api.baseUrl, params, { key: options.key ?? key, method: options.method ?? 'GET', ...(options.format ? { format: options.format } : {}) });
}

async function submitted(label: string): Promise<string> {
  const address = freshAddress(label);
  const answer = await send({ Action: 'SubmitEmailVerification', Email: address }, { format: 'JSON' });
  expect(answer.status).toBe(200);
  expect(await mailsTo(address)).toHaveLength(1);
  return address;
}

function expectXml(response: RawResponse, status: number) {
  expect(response.status).toBe(status);
  expect(response.contentType).toBe(XML_TYPE);
  expect(response.text.startsWith(`${XML_DECLARATION}<`)).toBe(true);
}

const sendResultOutline = (depth: number): Array<[number, string]> => [
  [depth, 'SendResult'],
  [depth + 1, 'Email'],
  [depth + 1, 'Code'],
  [depth + 1, 'Message'],
];

describe.each<Method>(['GET', 'POST'])('%s without Format', (method) => {
  test('ResendEmailVerification answers XML: Response > RequestId, SuccessList > SendResult, FailList > SendResult', async () => {
    const pending = await submitted(`xml-${method}`);
    const never = freshAddress('xml-never');
    const response = await send({ Action: 'ResendEmailVerification', Email: `${pending},bad,${never}` }, { method });

    expectXml(response, 200);
    expect(xmlElementOutline(response.text)).toEqual([
      [0, 'ResendEmailVerificationResponse'],
      [1, 'RequestId'],
      [1, 'SuccessList'],
      ...sendResultOutline(2),
      [1, 'FailList'],
      ...sendResultOutline(2),
      ...sendResultOutline(2),
    ]);
    expect(parseXml(response.text)).toEqual({
      ResendEmailVerificationResponse: {
        RequestId: response.headers.get('x-amzn-requestid'),
        SuccessList: { SendResult: [{ Email: pending, Code: 'Success', Message: 'Success' }] },
        FailList: {
          SendResult: [
            { Email: 'bad', Code: 'ParameterIllegall', Message: 'Parameter error' },
            { Email: never, Code: 'EmailNotSubmitted', Message: 'The email address has not been submitted for verification.' },
          ],
        },
      },
    });
    expect(await mailsTo(pending)).toHaveLength(2);
  });

  test('an empty list is an empty element; Submit adds ExistList', async () => {
    const pending = await submitted(`xml-empty-${method}`);
    const fresh = freshAddress(`xml-submit-${method}`);
    const response = await send({ Action: 'SubmitEmailVerification', Email: `${fresh},${pending}` }, { method });

    expectXml(response, 200);
    expect(response.text).toContain('<FailList/>');
    expect(xmlElementOutline(response.text)).toEqual([
      [0, 'SubmitEmailVerificationResponse'],
      [1, 'RequestId'],
      [1, 'SuccessList'],
      ...sendResultOutline(2),
      [1, 'FailList'],
      [1, 'ExistList'],
      ...sendResultOutline(2),
    ]);
    const parsed = parseXml(response.text).SubmitEmailVerificationResponse as Record<string, unknown>;
    expect(parsed.SuccessList).toEqual({ SendResult: [{ Email: fresh, Code: 'Success', Message: 'Success' }] });
    expect(parsed.FailList).toBe('');
    expect(parsed.ExistList).toEqual({
      SendResult: [{ Email: pending, Code: 'EmailVerificationExists', Message: 'A verification email was already sent to this address.' }],
    });
  });
});

describe('Format', () => {
  test('json (lower case) answers JSON, PascalCase, no top-level Code', async () => {
    const pending = await submitted('json');
    const response = await send({ Action: 'ResendEmailVerification', Email: pending }, { format: 'json', method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.contentType).toBe(JSON_TYPE);
    const body = JSON.parse(response.text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['RequestId', 'SuccessList', 'FailList']);
    expect(body).toEqual({
      RequestId: response.headers.get('x-amzn-requestid'),
      SuccessList: [{ Email: pending, Code: 'Success', Message: 'Success' }],
      FailList: [],
    });
  });

  test.each(['xml', 'Xml', 'XML'])('%s answers XML', async (format) => {
    const response = await send({ Action: 'QueryEmailVerification', Email: await submitted('query-xml') }, { format });
    expectXml(response, 200);
    const parsed = parseXml(response.text).QueryEmailVerificationResponse as Record<string, unknown>;
    expect(parsed.VerificationStatus).toBe('0');
  });

  test('an unknown Format is InvalidParameter, answered in XML, and nothing is mailed', async () => {
    const address = freshAddress('yaml');
    const response = await send({ Action: 'SubmitEmailVerification', Email: address }, { format: 'YAML' });
    expectXml(response, 400);
    expect(parseXml(response.text)).toMatchObject({ Error: { Code: 'InvalidParameter' } });
    expect((parseXml(response.text).Error as { Message: string }).Message).toContain('Format');
    expect(await mailsTo(address)).toHaveLength(0);
  });
});

describe('error bodies', () => {
  const errorOutline: Array<[number, string]> = [
    [0, 'Error'],
    [1, 'RequestId'],
    [1, 'HostId'],
    [1, 'Code'],
    [1, 'Message'],
    [1, 'Recommend'],
  ];

  test.each([
    ['SignatureDoesNotMatch', 400, { key: { ...key, accessKeySecret: 'not-the-secret' } }],
    ['InvalidAccessKeyId.NotFound', 404, { key: freshAccessKey('nobody') }],
  ] as const)('%s in XML: <Error> with RequestId, HostId, Code, Message, Recommend; HTTP %i', async (code, status, options) => {
    const address = freshAddress('xml-error');
    const response = await send({ Action: 'SubmitEmailVerification', Email: address }, { ...options, method: 'POST' });
    expectXml(response, status);
    expect(xmlElementOutline(response.text)).toEqual(errorOutline);
    const error = parseXml(response.text).Error as Record<string, string>;
    expect(error).toEqual({
      RequestId: response.headers.get('x-amzn-requestid'),
      HostId: new URL(api.baseUrl).host,
      Code: code,
      Message: expect.any(String),
      Recommend: expect.any(String),
    });
    expect(error.Message).not.toContain('not-the-secret');
    expect(error.Message).not.toContain(key.accessKeySecret);
    expect(await mailsTo(address)).toHaveLength(0);
  });

  test.each([
    ['SignatureDoesNotMatch', 400, 'SubmitEmailVerification', { key: { ...key, accessKeySecret: 'not-the-secret' } }],
    ['InvalidAction.NotFound', 404, 'DeleteEverything', {}],
    ['InvalidAccessKeyId.NotFound', 404, 'SubmitEmailVerification', { key: freshAccessKey('nobody') }],
    ['MissingEmail', 400, 'ResendEmailVerification', { noEmail: true }],
  ] as const)('%s in JSON: the same five fields, HTTP %i', async (code, status, action, options) => {
    const address = freshAddress('json-error');
    const params: Record<string, string> = { Action: action, ...('noEmail' in options ? {} : { Email: address }) };
    const response = await send(params, { ...('key' in options ? { key: options.key } : {}), format: 'JSON' });
    expect(response.status).toBe(status);
    expect(response.contentType).toBe(JSON_TYPE);
    const body = JSON.parse(response.text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
    expect(body).toMatchObject({ RequestId: response.headers.get('x-amzn-requestid'), Code: code });
    expect(await mailsTo(address)).toHaveLength(0);
  });

  test.each([
    ['Format=JSON', '&Format=JSON', JSON_TYPE],
    ['no Format', '', XML_TYPE],
  ])('a request that does not parse (a repeated parameter), %s: InvalidParameter in the asked format', async (_, format, type) => {
    const response = await fetchRaw(`${api.baseUrl}/?Action=ResendEmailVerification&Email=a%40example.com&Email=b%40example.com${format}`);
    expect(response.status).toBe(400);
    expect(response.contentType).toBe(type);
    const body = type === JSON_TYPE ? (JSON.parse(response.text) as Record<string, unknown>) : (parseXml(response.text).Error as Record<string, unknown>);
    expect(body).toMatchObject({ Code: 'InvalidParameter', Message: expect.stringContaining('Email') });
  });

  test('an unsigned request is MissingParameter, in XML by default', async () => {
    const response = await fetchRaw(`${api.baseUrl}/?Action=SubmitEmailVerification&Email=${encodeURIComponent(freshAddress('unsigned'))}`);
    expectXml(response, 400);
    expect(parseXml(response.text)).toMatchObject({ Error: { Code: 'MissingParameter' } });
  });
});

describe('echoed input is escaped', () => {
  const hostile = `<script>alert("x")</script>&'@example.com`;

  test('in XML: no markup gets through, and the parsed text is what was sent', async () => {
    const injection = `victim-${Date.now()}@example.com\r\nBcc: evil@example.com`;
    const response = await send({ Action: 'ResendEmailVerification', Email: `${hostile},${injection}` }, { method: 'POST' });
    expectXml(response, 200);
    expect(response.text).not.toContain('<script');
    expect(response.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&apos;@example.com');
    const failList = (parseXml(response.text).ResendEmailVerificationResponse as { FailList: { SendResult: Array<Record<string, string>> } })
      .FailList.SendResult;
    expect(failList.map((entry) => entry.Code)).toEqual(['ParameterIllegall', 'ParameterIllegall']);
    expect(failList[0]?.Email).toBe(hostile);
    // A header-injection attempt is an invalid address, never mail.
    expect(failList[1]?.Email).toContain('Bcc: evil@example.com');
    expect(await mailsTo('evil@example.com')).toHaveLength(0);
  });

  test('in JSON: a string that parses back to exactly what was sent', async () => {
    const response = await send({ Action: 'ResendEmailVerification', Email: hostile }, { format: 'JSON' });
    expect(response.contentType).toBe(JSON_TYPE);
    expect(response.text).not.toContain('"<script>alert("x")');
    expect((JSON.parse(response.text) as { FailList: unknown[] }).FailList).toEqual([
      { Email: hostile, Code: 'ParameterIllegall', Message: 'Parameter error' },
    ]);
  });

  test("a valid address with & and ' is mailed and echoed escaped", async () => {
    const address = freshAddress('amp').replace('@', "&o'hara@");
    const response = await send({ Action: 'SubmitEmailVerification', Email: address });
    expectXml(response, 200);
    expect(response.text).toContain(`<Email>${address.replace('&', '&amp;').replace("'", '&apos;')}</Email>`);
    const parsed = parseXml(response.text).SubmitEmailVerificationResponse as { SuccessList: { SendResult: unknown[] } };
    expect(parsed.SuccessList.SendResult).toEqual([{ Email: address, Code: 'Success', Message: 'Success' }]);
    expect(await mailsTo(address)).toHaveLength(1);
  });
});

describe('ACS3-HMAC-SHA256 (the Tea @alicloud/openapi-client)', () => {
  test('ResendEmailVerification succeeds and answers JSON', async () => {
    const pending = await submitted('acs3');
    const never = freshAddress('acs3-never');
    const response = await teaCall(api.baseUrl, key, 'ResendEmailVerification', { Email: `${pending},${never}`, Lang: 'zh' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({
      RequestId: expect.any(String),
      SuccessList: [{ Email: pending, Code: 'Success', Message: '成功' }],
      FailList: [{ Email: never, Code: 'EmailNotSubmitted', Message: '该邮箱尚未提交验证。' }],
    });
    const mails = await mailsTo(pending);
    expect(mails).toHaveLength(2);
    expect(mails[1]?.subject).toBe('您的 Example App 邮箱验证码');
  });

  test('a wrong secret fails with SignatureDoesNotMatch and mails nothing', async () => {
    const pending = await submitted('acs3-wrong');
    const error = await rejection(
      teaCall(api.baseUrl, { ...key, accessKeySecret: 'not-the-secret' }, 'ResendEmailVerification', { Email: pending }),
    );
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(await mailsTo(pending)).toHaveLength(1);
  });
});
