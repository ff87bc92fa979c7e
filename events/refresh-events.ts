/**
 * Writes the API Gateway REST proxy events in this folder, for
 * `sam local invoke -t cdk.out/EmailVerificationStack.template.json <Function> -e events/<x>.json`.
 * The events come from the same builder the local stack and the tests use, for the declared
 * routes, so they are what API Gateway sends on the `prod` stage.
 *
 *   npm run --silent events -- [--token <JWT>] [--code <6 digits>] [--link-token <JWT>]
 *                              [--email a@x,b@y] [--lang en|zh]
 *
 * --token       the email verification token for resend-code.json and verify-code.json
 *               (from `npm run --silent verification -- start <email>` against the local stack)
 * --code        the mailed code, for verify-code.json
 * --link-token  the token of a mailed verification link, for verification-page.json
 * --email       the addresses of the RPC events
 * --lang        the language of the mails and the page
 * --dir         the folder of the events (default: this one)
 * Whatever is not given keeps its value from the events already here (a code or address edited
 * by hand stays). The RPC events are signed with the local RPC key (RPC_ACCESS_KEY_ID /
 * RPC_ACCESS_KEY_SECRET) with a fresh Timestamp and SignatureNonce: the handler accepts a
 * request only within 15 minutes of its Timestamp and each nonce once, so run this again
 * before invoking them again.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ROUTES, type RouteName } from '../lambdas/routes.js';
import { API_VERSION } from '../lambdas/rpc/rpc-endpoint.js';
import { buildProxyEvent, type ProxyRequest } from '../local/proxy-event.js';
import { percentEncode, signV1 } from '../src/aliyun-rpc/index.js';
import { readSetting } from '../src/settings.js';

const PLACEHOLDER_TOKEN = 'REPLACE_WITH_EMAIL_VERIFICATION_TOKEN';
const PLACEHOLDER_LINK_TOKEN = 'REPLACE_WITH_LINK_TOKEN';
const PLACEHOLDER_CODE = '000000';
const CLIENT_IP = '198.51.100.23';

class UsageError extends Error {}

const { values: args } = parseArgs({
  options: {
    token: { type: 'string' },
    code: { type: 'string' },
    'link-token': { type: 'string' },
    email: { type: 'string' },
    lang: { type: 'string' },
    dir: { type: 'string' },
  },
});

const here = args.dir ? pathToFileURL(`${path.resolve(args.dir)}/`) : new URL('.', import.meta.url);

/** The event already in `file`, if it parses. */
function previous(file: string): APIGatewayProxyEvent | undefined {
  try {
    return JSON.parse(readFileSync(new URL(file, here), 'utf8')) as APIGatewayProxyEvent;
  } catch {
    return undefined;
  }
}

/** An option's value: refused when given empty, else the old value, else the fallback. */
function option(name: keyof typeof args, old: string | undefined, fallback: string): string {
  const given = args[name];
  if (given !== undefined && given.trim() === '') throw new UsageError(`--${name} was given empty`);
  return given ?? old ?? fallback;
}

function routeEvent(name: RouteName, request: Omit<ProxyRequest, 'method' | 'path'>): APIGatewayProxyEvent {
  const route = ROUTES[name];
  return buildProxyEvent({
    method: route.method,
    path: route.path,
    sourceIp: CLIENT_IP,
    ...request,
    headers: { Accept: '*/*', 'User-Agent': 'curl/8.5.0', ...(request.headers as Record<string, string> | undefined) },
  });
}

function signedRpcParams(method: string, email: string, lang: string): Record<string, string> {
  const params: Record<string, string> = {
    Action: 'ResendEmailVerification',
    Email: email,
    Lang: lang,
    UserClientIp: CLIENT_IP,
    Format: 'JSON',
    Version: API_VERSION,
    AccessKeyId: readSetting(process.env, 'RPC_ACCESS_KEY_ID'),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    RegionId: 'cn-hangzhou',
  };
  return { ...params, Signature: signV1(readSetting(process.env, 'RPC_ACCESS_KEY_SECRET'), method, params) };
}

function main(): void {
  const oldResend = previous('resend-code.json');
  const oldVerify = previous('verify-code.json');
  const oldPage = previous('verification-page.json');
  const oldRpc = previous('rpc-resend-get.json');

  const token = option('token', oldResend?.headers?.Authorization?.replace(/^Bearer /, ''), PLACEHOLDER_TOKEN);
  const code = option('code', (JSON.parse(oldVerify?.body ?? '{}') as { code?: string }).code, PLACEHOLDER_CODE);
  const linkToken = option('link-token', oldPage?.queryStringParameters?.token, PLACEHOLDER_LINK_TOKEN);
  const email = option('email', oldRpc?.queryStringParameters?.Email, 'alice@example.com,bob@example.com');
  const lang = option('lang', oldRpc?.queryStringParameters?.Lang, 'en');
  if (lang !== 'en' && lang !== 'zh') throw new UsageError('--lang must be en or zh');
  if (!/^\d{6}$/.test(code)) throw new UsageError('--code must be the 6 digits of the mailed code');
  const acceptLanguage = lang === 'zh' ? 'zh-CN,zh;q=0.9' : 'en-US,en;q=0.9';
  const form = (params: Record<string, string>) =>
    Object.entries(params).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');

  const events: Record<string, APIGatewayProxyEvent> = {
    'resend-code.json': routeEvent('resendCode', {
      headers: { Authorization: `Bearer ${token}`, 'Accept-Language': acceptLanguage },
    }),
    'verify-code.json': routeEvent('verifyCode', {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    }),
    'rpc-resend-get.json': routeEvent('rpcGet', { query: signedRpcParams('GET', email, lang) }),
    'rpc-resend-post.json': routeEvent('rpcPost', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
        'User-Agent': 'AlibabaCloud (linux; x64) Node.js/v20.19.0 Core/1.8.0',
      },
      body: form(signedRpcParams('POST', email, lang)),
    }),
    'verification-page.json': routeEvent('showVerificationPage', {
      headers: { Accept: 'text/html,application/xhtml+xml', 'Accept-Language': acceptLanguage },
      query: { token: linkToken, lang },
    }),
  };
  for (const [file, event] of Object.entries(events)) {
    writeFileSync(new URL(file, here), `${JSON.stringify(event, null, 2)}\n`);
    process.stderr.write(`wrote ${path.relative(process.cwd(), fileURLToPath(new URL(file, here)))}\n`);
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
