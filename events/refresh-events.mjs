#!/usr/bin/env node
/**
 * Writes the API Gateway REST proxy events (payload format 1.0) in this folder, for
 * `sam local invoke -t cdk.out/EmailVerificationStack.template.json <Function> -e events/<x>.json`.
 *
 * The RPC events are signed (Aliyun RPC signature v1, HMAC-SHA1) with the local RPC key, with a
 * fresh Timestamp and SignatureNonce: the handler accepts a request only within 15 minutes of
 * its Timestamp and each nonce once, so re-run this before invoking them.
 *
 *   node events/refresh-events.mjs [--token <JWT>] [--link-token <JWT>] [--email a@x,b@y] [--lang en|zh]
 *
 * --token       the email verification token for resend-code.json and verify-code.json
 *               (from `npm run --silent verification -- start <email>` against the local stack)
 * --link-token  the token of a mailed verification link, for verification-page.json
 * Key: RPC_ACCESS_KEY_ID / RPC_ACCESS_KEY_SECRET (defaults: the local-only
 * local-access-key-id / local-access-key-secret, as in events/env.local.json).
 *
 * Plain Node, no dependencies, so it runs before `npm ci` too.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const here = new URL('.', import.meta.url);
const { values: args } = parseArgs({
  options: {
    token: { type: 'string' },
    'link-token': { type: 'string' },
    email: { type: 'string', default: 'alice@example.com,bob@example.com' },
    lang: { type: 'string', default: 'en' },
  },
});

const ACCESS_KEY_ID = process.env.RPC_ACCESS_KEY_ID || 'local-access-key-id';
const ACCESS_KEY_SECRET = process.env.RPC_ACCESS_KEY_SECRET || 'local-access-key-secret';
const PLACEHOLDER_TOKEN = 'REPLACE_WITH_EMAIL_VERIFICATION_TOKEN';
const PLACEHOLDER_LINK_TOKEN = 'REPLACE_WITH_LINK_TOKEN';

/** RFC 3986 with Aliyun's rules: unreserved kept, everything else %XX upper-case. */
function percentEncode(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function signV1(method, params, secret) {
  const canonical = Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key])}`)
    .join('&');
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

// Self-check against the public test vector of Aliyun's signature documentation.
const vector = signV1(
  'GET',
  {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  },
  'testsecret',
);
if (vector !== 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=') throw new Error(`signature self-check failed: ${vector}`);

function signedRpcParams(method) {
  const params = {
    Action: 'ResendEmailVerification',
    Email: args.email,
    Lang: args.lang,
    UserClientIp: '198.51.100.23',
    Format: 'JSON',
    Version: '2018-01-29',
    AccessKeyId: ACCESS_KEY_ID,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    RegionId: 'cn-hangzhou',
  };
  return { ...params, Signature: signV1(method, params, ACCESS_KEY_SECRET) };
}

/** Keeps an existing real token when no new one is given. */
function previous(file, pick, placeholder) {
  try {
    return pick(JSON.parse(readFileSync(new URL(file, here), 'utf8'))) ?? placeholder;
  } catch {
    return placeholder;
  }
}

const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;
const STAGE = 'prod';

function proxyEvent({ method, resource, path, headers = {}, query = null, body = null }) {
  const now = new Date();
  const allHeaders = {
    Accept: '*/*',
    'Accept-Encoding': 'gzip, deflate, br',
    'CloudFront-Forwarded-Proto': 'https',
    Host: DOMAIN,
    'User-Agent': 'curl/8.5.0',
    'X-Amzn-Trace-Id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'X-Forwarded-For': '198.51.100.23',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...headers,
  };
  return {
    resource,
    path,
    httpMethod: method,
    headers: allHeaders,
    multiValueHeaders: Object.fromEntries(Object.entries(allHeaders).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourceId: 'abc123',
      resourcePath: resource,
      httpMethod: method,
      extendedRequestId: 'Xyz1AbCdIAMEbQw=',
      requestTime: now.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000'),
      path: `/${STAGE}${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: STAGE,
      domainPrefix: API_ID,
      requestTimeEpoch: now.getTime(),
      requestId: randomUUID(),
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: '198.51.100.23',
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: allHeaders['User-Agent'],
        user: null,
      },
      domainName: DOMAIN,
      deploymentId: 'dep123',
      apiId: API_ID,
    },
    body,
    isBase64Encoded: false,
  };
}

const token = args.token ?? previous('resend-code.json', (e) => e.headers.Authorization?.replace(/^Bearer /, ''), PLACEHOLDER_TOKEN);
const linkToken =
  args['link-token'] ?? previous('verification-page.json', (e) => e.queryStringParameters?.token, PLACEHOLDER_LINK_TOKEN);
const form = (params) => Object.entries(params).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');

const events = {
  'resend-code.json': proxyEvent({
    method: 'POST',
    resource: '/api/v1/users/email-verification-code',
    path: '/api/v1/users/email-verification-code',
    headers: { Authorization: `Bearer ${token}`, 'Accept-Language': args.lang === 'zh' ? 'zh-CN,zh;q=0.9' : 'en-US,en;q=0.9', 'Content-Length': '0' },
  }),
  'verify-code.json': proxyEvent({
    method: 'POST',
    resource: '/api/v1/users/email-verification',
    path: '/api/v1/users/email-verification',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': '17' },
    body: JSON.stringify({ code: '123456' }),
  }),
  'rpc-resend-get.json': proxyEvent({ method: 'GET', resource: '/', path: '/', query: signedRpcParams('GET') }),
  'rpc-resend-post.json': (() => {
    const body = form(signedRpcParams('POST'));
    return proxyEvent({
      method: 'POST',
      resource: '/',
      path: '/',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
        'Content-Length': String(Buffer.byteLength(body)),
        'User-Agent': 'AlibabaCloud (linux; x64) Node.js/v20.19.0 Core/1.8.0',
      },
      body,
    });
  })(),
  'verification-page.json': proxyEvent({
    method: 'GET',
    resource: '/email-verification',
    path: '/email-verification',
    headers: {
      Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'Accept-Language': args.lang === 'zh' ? 'zh-CN,zh;q=0.9' : 'en-US,en;q=0.9',
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    },
    query: { token: linkToken },
  }),
};

for (const [file, event] of Object.entries(events)) {
  writeFileSync(new URL(file, here), `${JSON.stringify(event, null, 2)}\n`);
  console.error(`wrote events/${file}`);
}
