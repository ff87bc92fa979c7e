/**
 * The local stack's own pieces: the API Gateway bridge (with stub handlers, so these run
 * whatever the real handlers do) and the DynamoDB Local + local SES that the jest global setup
 * started for the run.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  MAX_BODY_BYTES,
  createApiBridge,
  defaultRoutes,
  lazyHandler,
  moduleHandler,
  type ApiBridge,
  type ApiBridgeOptions,
  type BridgeRoute,
  type ProxyHandler,
} from '../../local/api-gateway-bridge.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../src/adapters/table-schema.js';
import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import { startTestApi } from '../support/local-api.js';
import { extractCode, extractLink, latestMailTo, readInbox, waitForMailTo, type InboxMail } from '../support/ses-inbox.js';
import { FUNCTIONS, ROUTES } from '../../lambdas/routes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** node:http, so tests control raw headers (repeats, case) and see every response header. */
function send(
  url: string,
  init: { method?: string; headers?: string[] | Record<string, string>; body?: Buffer | string; chunks?: Buffer[] } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.chunks) {
      for (const chunk of init.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(init.body);
    }
  });
}

interface Captured {
  event: APIGatewayProxyEvent;
  context: Context;
  remainingMs: number;
}

/** A bridge whose routes all answer with `respond` and record what they received. */
async function stubBridge(
  respond: (event: APIGatewayProxyEvent) => unknown = () => ({ statusCode: 200, body: 'ok' }),
  options: Partial<ApiBridgeOptions> = {},
) {
  const calls: Captured[] = [];
  const handler: ProxyHandler = async (event, context) => {
    calls.push({ event, context, remainingMs: context.getRemainingTimeInMillis() });
    return respond(event);
  };
  const routes: BridgeRoute[] = defaultRoutes().map((route) => ({ ...route, handler }));
  const bridge = createApiBridge({ routes, ...options });
  const baseUrl = await bridge.listen(0, '127.0.0.1');
  bridges.push(bridge);
  return { baseUrl, calls, bridge };
}

/**
 * The local addresses something listens on at `port`: from the kernel's socket tables on Linux
 * (IPv4-mapped addresses read as IPv4, the wildcard as 0.0.0.0 or ::).
 */
async function listeningAddresses(port: number): Promise<string[]> {
  const addresses = new Set<string>();
  for (const [file, width] of [['/proc/net/tcp', 8], ['/proc/net/tcp6', 32]] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port || hex.length !== width) continue;
      // The kernel prints each 32-bit word in host (little-endian) byte order.
      const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join(''));
      const bytes = words.join('').match(/../g)!.map((byte) => parseInt(byte, 16));
      if (bytes.length === 4) addresses.add(bytes.join('.'));
      else if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) addresses.add(bytes.slice(12).join('.'));
      else addresses.add(bytes.every((b) => b === 0) ? '::' : words.join(':'));
    }
  }
  return [...addresses];
}

const bridges: ApiBridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((bridge) => bridge.close()));
});

describe('API Gateway bridge: the proxy event', () => {
  test('GET with repeated query parameters, + and %20 decoding, and request context', async () => {
    const { baseUrl, calls } = await stubBridge();
    const before = Date.now();
    const response = await send(`${baseUrl}${ROUTES.showVerificationPage.path}?token=abc&x=1&x=2&sp=a+b%20c&empty=&u=%E4%B8%AD`, {
      headers: { 'User-Agent': 'bridge-test/1.0', Host: 'verify.example.test:3000' },
    });
    const after = Date.now();
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { event, context, remainingMs } = calls[0]!;

    expect(event.httpMethod).toBe('GET');
    expect(event.path).toBe(ROUTES.showVerificationPage.path);
    expect(event.resource).toBe(ROUTES.showVerificationPage.path);
    expect(event.queryStringParameters).toEqual({ token: 'abc', x: '2', sp: 'a b c', empty: '', u: '中' });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ['abc'], x: ['1', '2'], sp: ['a b c'], empty: [''], u: ['中'] });
    expect(event.pathParameters).toBeNull();
    expect(event.stageVariables).toBeNull();
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);

    const rc = event.requestContext;
    expect(rc.requestId).toMatch(UUID);
    expect(rc.stage).toBe('local');
    expect(rc.httpMethod).toBe('GET');
    expect(rc.path).toBe(ROUTES.showVerificationPage.path);
    expect(rc.resourcePath).toBe(ROUTES.showVerificationPage.path);
    expect(rc.identity.sourceIp).toBe('127.0.0.1');
    expect(rc.identity.userAgent).toBe('bridge-test/1.0');
    expect(rc.domainName).toBe('verify.example.test:3000');
    expect(rc.protocol).toBe('HTTP/1.1');
    expect(rc.requestTimeEpoch).toBeGreaterThanOrEqual(before);
    expect(rc.requestTimeEpoch).toBeLessThanOrEqual(after);
    expect(rc.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);

    expect(context.awsRequestId).toMatch(UUID);
    expect(context.awsRequestId).not.toBe(rc.requestId);
    expect(context.functionName).toBe('rpc');
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:rpc$/);
    expect(remainingMs).toBeGreaterThan(20_000);
    expect(remainingMs).toBeLessThanOrEqual(29_000);
    // The response carries API Gateway's request id header, matching the event.
    expect(response.headers['x-amzn-requestid']).toBe(rc.requestId);
  });

  test('no query string gives null query maps, as API Gateway does', async () => {
    const { baseUrl, calls } = await stubBridge();
    await send(`${baseUrl}/`);
    await send(`${baseUrl}/?`);
    expect(calls).toHaveLength(2);
    for (const { event } of calls) {
      expect(event.queryStringParameters).toBeNull();
      expect(event.multiValueQueryStringParameters).toBeNull();
      expect(event.resource).toBe('/');
    }
  });

  test('POST form body arrives as the exact text, not base64', async () => {
    const { baseUrl, calls } = await stubBridge();
    const form = 'Action=ResendEmailVerification&Email=a%40example.com%2Cb%40example.com&Lang=zh';
    await send(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: form,
    });
    const { event, context } = calls[0]!;
    expect(event.httpMethod).toBe('POST');
    expect(event.body).toBe(form);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers['Content-Type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(event.queryStringParameters).toBeNull();
    expect(context.functionName).toBe('rpc');
  });

  test('JSON body (UTF-8) arrives as text on the resend-code function', async () => {
    const { baseUrl, calls } = await stubBridge();
    const json = JSON.stringify({ code: '123456', note: 'héllo 中文' });
    await send(`${baseUrl}${ROUTES.verifyCode.path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer x.y.z', 'Accept-Language': 'zh-CN' },
      body: json,
    });
    const { event, context } = calls[0]!;
    expect(event.body).toBe(json);
    expect(JSON.parse(event.body!)).toEqual({ code: '123456', note: 'héllo 中文' });
    expect(event.isBase64Encoded).toBe(false);
    expect(event.resource).toBe(ROUTES.verifyCode.path);
    expect(context.functionName).toBe(FUNCTIONS.iam.name);
    expect(event.headers.Authorization).toBe('Bearer x.y.z');
    expect(event.headers['Accept-Language']).toBe('zh-CN');
  });

  test('a binary body arrives base64-encoded with isBase64Encoded', async () => {
    const { baseUrl, calls } = await stubBridge();
    const bytes = Buffer.from([0, 1, 2, 250, 255, 0x80, 0x0a]);
    await send(`${baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
    const { event } = calls[0]!;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);
  });

  test('headers: case kept, repeats in multiValueHeaders, last value in headers, X-Forwarded-* added', async () => {
    const { baseUrl, calls } = await stubBridge();
    const host = new URL(baseUrl).host;
    const response = await send(`${baseUrl}/`, {
      // A raw header list: node:http then sends exactly these (Host included).
      headers: ['Host', host, 'X-Multi', 'first', 'x-custom-Case', 'kept', 'X-Multi', 'second', 'X-Forwarded-For', '203.0.113.9'],
    });
    expect(response.status).toBe(200);
    const { event } = calls[0]!;
    expect(event.multiValueHeaders['X-Multi']).toEqual(['first', 'second']);
    expect(event.headers['X-Multi']).toBe('second');
    expect(event.headers['x-custom-Case']).toBe('kept');
    // API Gateway appends the caller's address to X-Forwarded-For.
    expect(event.headers['X-Forwarded-For']).toBe('203.0.113.9, 127.0.0.1');
    expect(event.headers['X-Forwarded-Proto']).toBe('http');
    expect(event.headers.Host).toBe(host);
    for (const [name, value] of Object.entries(event.headers)) {
      expect(event.multiValueHeaders[name]?.at(-1)).toBe(value);
    }
  });
});

describe('API Gateway bridge: the response', () => {
  test('statusCode, headers and multiValueHeaders (repeated Set-Cookie) are written', async () => {
    const { baseUrl } = await stubBridge(() => ({
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Single': 'one', 'X-Both': 'from-headers' },
      multiValueHeaders: { 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'], 'set-cookie': ['c=3'], 'X-Both': ['from-multi-1', 'from-multi-2'] },
      body: 'créé',
    }));
    const response = await send(`${baseUrl}${ROUTES.resendCode.path}`, { method: 'POST' });
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['x-single']).toBe('one');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/', 'c=3']);
    // multiValueHeaders win over headers for the same name.
    const both = response.rawHeaders.filter((_, i) => i % 2 === 1 && /^x-both$/i.test(response.rawHeaders[i - 1]!));
    expect(both).toEqual(['from-multi-1', 'from-multi-2']);
    expect(response.body.toString('utf8')).toBe('créé');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength('créé')));
  });

  test('isBase64Encoded bodies are decoded to bytes; a missing Content-Type defaults to JSON', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    const { baseUrl } = await stubBridge((event) =>
      event.path === '/'
        ? { statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: bytes.toString('base64'), isBase64Encoded: true }
        : { statusCode: 202, body: '{"ok":true}' },
    );
    const binary = await send(`${baseUrl}/`);
    expect(binary.headers['content-type']).toBe('image/png');
    expect(binary.body.equals(bytes)).toBe(true);
    const json = await send(`${baseUrl}${ROUTES.showVerificationPage.path}`);
    expect(json.status).toBe(202);
    expect(json.headers['content-type']).toBe('application/json');
    expect(json.body.toString()).toBe('{"ok":true}');
  });

  test('callback-style handlers work too', async () => {
    const handler: ProxyHandler = (_event, _context, callback) => {
      setTimeout(() => callback(undefined, { statusCode: 204, body: '' }), 5);
    };
    const bridge = createApiBridge({ routes: [{ method: 'GET', path: '/', functionName: 'cb', handler }] });
    bridges.push(bridge);
    const response = await send(`${await bridge.listen()}/`);
    expect(response.status).toBe(204);
  });

  test('a throwing handler or a malformed result is 502 Internal server error', async () => {
    const errors: string[] = [];
    const { baseUrl } = await stubBridge(
      (event) => {
        if (event.path === '/') throw new Error('handler exploded');
        return { statusCode: 'two hundred', body: 42 };
      },
      { onError: (_error, info) => errors.push(info.kind) },
    );
    const thrown = await send(`${baseUrl}/`);
    expect(thrown.status).toBe(502);
    expect(JSON.parse(thrown.body.toString())).toEqual({ message: 'Internal server error' });
    const malformed = await send(`${baseUrl}${ROUTES.showVerificationPage.path}`);
    expect(malformed.status).toBe(502);
    expect(errors).toEqual(['Lambda function failed', 'Malformed Lambda proxy response']);
  });

  test('a handler slower than the integration timeout is 504', async () => {
    const { baseUrl } = await stubBridge(() => new Promise(() => undefined), { timeoutMs: 150 });
    const response = await send(`${baseUrl}/`);
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Endpoint request timed out' });
  });
});

describe('API Gateway bridge: routing and limits', () => {
  test.each([
    ['GET', '/nope'],
    ['GET', ROUTES.resendCode.path],
    ['DELETE', '/'],
    ['PUT', ROUTES.showVerificationPage.path],
    ['POST', `${ROUTES.showVerificationPage.path}/`],
    ['POST', `${ROUTES.resendCode.path}/extra`],
  ])("%s %s is the stack's JSON 404 listing the routes, and reaches no handler", async (method, path) => {
    const { baseUrl, calls } = await stubBridge();
    const response = await send(`${baseUrl}${path}`, { method });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body.toString())).toEqual({
      message: 'No route for this method and path. The routes are listed in "routes".',
      routes: [
        `POST ${ROUTES.resendCode.path}`,
        `POST ${ROUTES.verifyCode.path}`,
        'GET /',
        'POST /',
        `GET ${ROUTES.showVerificationPage.path}`,
        `POST ${ROUTES.showVerificationPage.path}`,
      ],
    });
    expect(response.headers['content-type']).toBe('application/json');
    expect(calls).toHaveLength(0);
  });

  test('the query string is not part of route matching', async () => {
    const { baseUrl, calls } = await stubBridge();
    const response = await send(`${baseUrl}${ROUTES.resendCode.path}?x=1`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(calls[0]!.event.path).toBe(ROUTES.resendCode.path);
  });

  test('the default route table is the deployed API', () => {
    // Every declared route, each to its API's function, and nothing else.
    const routes = defaultRoutes().map((route) => `${route.method} ${route.path} -> ${route.functionName}`);
    const declared = Object.values(ROUTES).map((route) => `${route.method} ${route.path} -> ${FUNCTIONS[route.api].name}`);
    expect(routes.sort()).toEqual(declared.sort());
    expect(new Set(routes).size).toBe(6);
  });

  test('a body over 10 MB is 413 without reaching the handler', async () => {
    const { baseUrl, calls } = await stubBridge();
    const response = await send(`${baseUrl}/`, { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x61) });
    expect(response.status).toBe(413);
    expect(calls).toHaveLength(0);
  });

  test('the body cap counts streamed (chunked) bodies too, and the limit itself is allowed', async () => {
    const { baseUrl, calls } = await stubBridge(undefined, { maxBodyBytes: 1024 });
    const over = await send(`${baseUrl}/`, { method: 'POST', chunks: [Buffer.alloc(512, 0x61), Buffer.alloc(513, 0x62)] });
    expect(over.status).toBe(413);
    expect(calls).toHaveLength(0);
    const exact = await send(`${baseUrl}/`, { method: 'POST', chunks: [Buffer.alloc(512, 0x61), Buffer.alloc(512, 0x62)] });
    expect(exact.status).toBe(200);
    expect(calls[0]!.event.body).toHaveLength(1024);
  });
});

describe('API Gateway bridge: lazy handler modules', () => {
  test('a module is imported on first use, after the environment is set, and only once', async () => {
    const loads: number[] = [];
    let greeting = 'before';
    const handler = lazyHandler(async () => {
      loads.push(Date.now());
      const seen = greeting;
      return { handler: async (): Promise<APIGatewayProxyResult> => ({ statusCode: 200, body: seen }) };
    });
    const bridge = createApiBridge({
      routes: [
        { method: 'GET', path: '/', functionName: 'lazy', handler },
        { method: 'POST', path: '/', functionName: 'lazy', handler },
      ],
    });
    bridges.push(bridge);
    const baseUrl = await bridge.listen();
    expect(loads).toHaveLength(0);
    greeting = 'after';
    const responses = await Promise.all([send(`${baseUrl}/`), send(`${baseUrl}/`, { method: 'POST' }), send(`${baseUrl}/`)]);
    expect(responses.map((response) => response.body.toString())).toEqual(['after', 'after', 'after']);
    expect(loads).toHaveLength(1);
  });

  test('a failed load is a 502 and is retried on the next request', async () => {
    let attempts = 0;
    const handler = lazyHandler(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('not there yet');
      return { handler: async () => ({ statusCode: 200, body: 'loaded' }) };
    });
    const bridge = createApiBridge({ routes: [{ method: 'GET', path: '/', functionName: 'lazy', handler }], onError: () => undefined });
    bridges.push(bridge);
    const baseUrl = await bridge.listen();
    expect((await send(`${baseUrl}/`)).status).toBe(502);
    const second = await send(`${baseUrl}/`);
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('loaded');
    expect(attempts).toBe(2);
  });

  test('moduleHandler imports a real module by a specifier relative to local/', async () => {
    process.env.STUB_GREETING = 'set-before-load';
    const bridge = createApiBridge({
      routes: [{ method: 'GET', path: '/', functionName: 'stub', handler: moduleHandler('../test/support/stub-handler.js') }],
    });
    bridges.push(bridge);
    const baseUrl = await bridge.listen();
    const first = JSON.parse((await send(`${baseUrl}/`)).body.toString());
    process.env.STUB_GREETING = 'changed-later';
    const second = JSON.parse((await send(`${baseUrl}/`)).body.toString());
    expect(first).toEqual({ greetingAtLoad: 'set-before-load', path: '/', evaluations: 1 });
    expect(second).toEqual(first);
    delete process.env.STUB_GREETING;
  });

  test('a module without the export fails with a clear error', async () => {
    const handler = moduleHandler('../test/support/fresh-address.js');
    await expect(handler.load()).rejects.toThrow(/does not export a function named "handler"/);
  });
});

describe('services from the global setup', () => {
  const dynamodb = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION });
  const ses = new SESClient({ endpoint: process.env.SES_ENDPOINT, region: process.env.AWS_REGION });
  afterAll(() => {
    dynamodb.destroy();
    ses.destroy();
  });

  test('the environment for the handlers is published', () => {
    expect(process.env.DYNAMODB_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.SES_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.TABLE_NAME).toBeTruthy();
    expect(process.env.AWS_REGION).toBeTruthy();
    expect(process.env.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(process.env.MAIL_FROM).toContain('@');
    expect(process.env.RPC_ACCESS_KEY_ID).toBe('local-access-key-id');
    expect(process.env.RPC_ACCESS_KEY_SECRET).toBe('local-access-key-secret');
    expect(process.env.EXPOSE_ERROR_TRACES).toBe('true');
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  });

  test('DynamoDB Local and the local SES listen on 127.0.0.1 only', async () => {
    for (const endpoint of [process.env.DYNAMODB_ENDPOINT!, process.env.SES_ENDPOINT!]) {
      const port = Number(new URL(endpoint).port);
      expect(await listeningAddresses(port)).toEqual(['127.0.0.1']);
    }
  });

  test('DynamoDB Local has the table, with TTL on, and stores items', async () => {
    const tableName = process.env.TABLE_NAME!;
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }]);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: TTL_ATTRIBUTE });

    const key = `TEST#${randomUUID()}`;
    const expires = String(Math.floor(Date.now() / 1000) + 60);
    await dynamodb.send(
      new PutItemCommand({ TableName: tableName, Item: { [PARTITION_KEY]: { S: key }, [TTL_ATTRIBUTE]: { N: expires }, v: { S: 'x' } } }),
    );
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { [PARTITION_KEY]: { S: key } }, ConsistentRead: true }));
    expect(Item).toEqual({ [PARTITION_KEY]: { S: key }, [TTL_ATTRIBUTE]: { N: expires }, v: { S: 'x' } });
  });

  test('the local SES accepts SendEmail and the inbox helpers read it back', async () => {
    const to = freshAddress('inbox');
    const before = (await readInbox()).length;
    const link = `http://127.0.0.1:3000${ROUTES.showVerificationPage.path}?token=abc.def-ghi_jkl&lang=en`;
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        Source: process.env.MAIL_FROM,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: 'Your email verification code' },
          Body: {
            Text: { Data: `Your code:\n\n    482913\n\nOr open ${link}\n` },
            Html: { Data: `<p style="color:#123456">Your code: <b>482913</b></p><a href="${link.replace('&', '&amp;')}">Verify</a>` },
          },
        },
      }),
    );
    expect(MessageId).toBeTruthy();
    expect((await readInbox()).length).toBe(before + 1);

    const mail = await waitForMailTo(to.toUpperCase());
    expect(mail.messageId).toBe(MessageId);
    expect(mail.subject).toBe('Your email verification code');
    expect((await latestMailTo(to))?.messageId).toBe(MessageId);
    expect(await latestMailTo(freshAddress('nobody'))).toBeUndefined();
    expect(extractCode(mail)).toBe('482913');
    expect(extractLink(mail)).toBe(link);

    // HTML only: the colour #123456 is not a code, the href is decoded.
    const htmlOnly: InboxMail = { ...mail, body: { html: mail.body.html } };
    expect(extractCode(htmlOnly)).toBe('482913');
    expect(extractLink(htmlOnly)).toBe(link);
    expect(() => extractCode({ ...mail, body: { text: 'no code here, 12345 or 1234567' } })).toThrow(/no 6-digit code/);
  });

  test('fresh addresses are unique and lower-case', () => {
    const addresses = freshAddresses(200, 'Some Label');
    expect(new Set(addresses).size).toBe(200);
    for (const address of addresses) expect(address).toMatch(/^some-label-[a-z0-9-]+@example\.com$/);
  });
});

describe('startTestApi', () => {
  test('serves the real handlers on a free port with its environment, and restores it on stop', async () => {
    expect(process.env.PUBLIC_BASE_URL).toBeUndefined();
    const api = await startTestApi({ LOCAL_STACK_TEST_MARKER: 'on' });
    try {
      expect(api.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(process.env.PUBLIC_BASE_URL).toBe(api.baseUrl);
      expect(process.env.LOCAL_STACK_TEST_MARKER).toBe('on');
      const unknown = await send(`${api.baseUrl}/unknown`);
      expect(unknown.status).toBe(404);
      // The real rpc handler loaded and answered (whatever it says about a bare GET, it is not
      // the bridge's 404 or 502).
      const rpc = await send(`${api.baseUrl}/`);
      expect([404, 502]).not.toContain(rpc.status);
      expect(rpc.headers['x-amzn-requestid']).toMatch(UUID);
    } finally {
      await api.stop();
    }
    expect(process.env.PUBLIC_BASE_URL).toBeUndefined();
    expect(process.env.LOCAL_STACK_TEST_MARKER).toBeUndefined();
  });
});
