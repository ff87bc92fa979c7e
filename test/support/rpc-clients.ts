/**
 * Clients for the RPC endpoint in integration tests: unmodified `@alicloud/pop-core` (signature
 * v1), raw signed requests built with the service's own `signV1` (for what no client would send:
 * a replayed URL, a stale timestamp, an absent Format), the Tea `@alicloud/openapi-client`
 * (ACS3-HMAC-SHA256), and a local API in front of `createRpcHandler` / `createIamHandler` built
 * from explicit configuration, for tests that need their own limits or an injected fault.
 */
import OpenApi, * as $OpenApi from '@alicloud/openapi-client';
import OpenApiUtil from '@alicloud/openapi-util';
import RPCClient from '@alicloud/pop-core';
import { XMLParser } from 'fast-xml-parser';
import { randomBytes, randomUUID } from 'node:crypto';

import { createIamHandler } from '../../lambdas/iam/iam-api.js';
import { createRpcHandler } from '../../lambdas/rpc/rpc-api.js';
import { bridgeRoutes, createApiBridge, type ProxyHandler } from '../../local/api-gateway-bridge.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { percentEncode, signV1 } from '../../src/aliyun-rpc/index.js';
import { loadConfig } from '../../src/config.js';
import {
  createServiceDependencies,
  type DependencyOverrides,
  type ServiceDependencies,
} from '../../src/service-dependencies.js';

export const RPC_API_VERSION = '2018-01-29';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** A key no other test uses, so per-account counters and nonces never collide. */
export function freshAccessKey(label = 'key'): AccessKey {
  return {
    accessKeyId: `${label}-${run}-${randomBytes(4).toString('hex')}`,
    accessKeySecret: `secret-${randomBytes(12).toString('hex')}`,
  };
}

/** A documentation-range IPv6 address no other test uses (per-client-IP counters). */
export function freshClientIp(): string {
  const hex = randomBytes(12).toString('hex').match(/.{4}/g)!;
  return `2001:db8:${hex.slice(0, 6).join(':')}`;
}

/** `YYYY-MM-DDThh:mm:ssZ`, as every Aliyun client sends it. */
export function rpcTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

// ---------------------------------------------------------------------------------------------
// Raw signed requests

export interface SignOptions {
  readonly key: AccessKey;
  readonly method?: 'GET' | 'POST';
  /** Sent only when given, so a test can see the server's default (XML). */
  readonly format?: string;
  readonly version?: string;
  readonly timestamp?: string;
  readonly nonce?: string;
}

/** Common parameters plus `params`, signed with signature v1 (Signature included). */
export function signRpcParams(params: Readonly<Record<string, string>>, options: SignOptions): Record<string, string> {
  const unsigned: Record<string, string> = {
    AccessKeyId: options.key.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: options.nonce ?? randomUUID(),
    Timestamp: options.timestamp ?? rpcTimestamp(),
    Version: options.version ?? RPC_API_VERSION,
    ...(options.format !== undefined ? { Format: options.format } : {}),
    ...params,
  };
  return { ...unsigned, Signature: signV1(options.key.accessKeySecret, options.method ?? 'GET', unsigned) };
}

/** `k=v&...`, Aliyun-encoded, usable as a query string or a form body. */
export function encodeRpcParams(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
}

/** The full GET URL of a signed request. */
export function signedGetUrl(baseUrl: string, params: Readonly<Record<string, string>>, options: SignOptions): string {
  return `${baseUrl}/?${encodeRpcParams(signRpcParams(params, { ...options, method: 'GET' }))}`;
}

export interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly headers: Headers;
  readonly text: string;
}

async function raw(response: Response): Promise<RawResponse> {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    text: await response.text(),
  };
}

/** Fetches a URL as is (for replays). */
export async function fetchRaw(url: string, init?: RequestInit): Promise<RawResponse> {
  return raw(await fetch(url, init));
}

/** A signed request by GET (query) or POST (form body), answered as text. */
export async function rpcRequest(
  baseUrl: string,
  params: Readonly<Record<string, string>>,
  options: SignOptions,
): Promise<RawResponse> {
  const method = options.method ?? 'GET';
  const signed = signRpcParams(params, { ...options, method });
  if (method === 'GET') return fetchRaw(`${baseUrl}/?${encodeRpcParams(signed)}`);
  return fetchRaw(`${baseUrl}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: encodeRpcParams(signed),
  });
}

/** Parses an XML answer with every element's text kept as a string; `SendResult` is always a list. */
export function parseXml(text: string): Record<string, unknown> {
  const parser = new XMLParser({
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: false,
    isArray: (name) => name === 'SendResult',
  });
  return parser.parse(text, true) as Record<string, unknown>;
}

/** The element names in document order, with their depth, e.g. `[[0,'Error'],[1,'RequestId'],...]`. */
export function xmlElementOutline(text: string): Array<[number, string]> {
  const parser = new XMLParser({ ignoreDeclaration: true, preserveOrder: true, parseTagValue: false });
  const outline: Array<[number, string]> = [];
  const walk = (nodes: unknown[], depth: number) => {
    for (const node of nodes as Array<Record<string, unknown>>) {
      for (const [name, children] of Object.entries(node)) {
        if (name === '#text' || name === ':@') continue;
        outline.push([depth, name]);
        walk(children as unknown[], depth + 1);
      }
    }
  };
  walk(parser.parse(text) as unknown[], 0);
  return outline;
}

// ---------------------------------------------------------------------------------------------
// Clients

/** Unmodified pop-core: GET by default, `{ method: 'POST' }` for a form body. */
export function popCoreClient(baseUrl: string, key: AccessKey, apiVersion = RPC_API_VERSION): RPCClient {
  return new RPCClient({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    endpoint: baseUrl,
    apiVersion,
  });
}

/** What pop-core throws for a body with a top-level Code. */
export interface ClientError {
  readonly code?: string;
  readonly name?: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** The error a call fails with; fails the test when it succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    return error as ClientError;
  }
  throw new Error(`expected the call to fail, it answered ${JSON.stringify(result)}`);
}

type TeaClient = InstanceType<typeof OpenApi.default>;
type TeaRuntime = Parameters<TeaClient['callApi']>[2];

/** The Tea client (`@alicloud/openapi-client`) as generated SDKs drive it: ACS3-HMAC-SHA256, JSON. */
export async function teaCall(
  baseUrl: string,
  key: AccessKey,
  action: string,
  params: Readonly<Record<string, string>>,
): Promise<{ statusCode?: number; body: Record<string, unknown> }> {
  const client = new OpenApi.default(
    new $OpenApi.Config({
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      protocol: 'http',
      endpoint: new URL(baseUrl).host,
    }),
  );
  const apiParams = new $OpenApi.Params({
    action,
    version: RPC_API_VERSION,
    protocol: 'HTTP',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
  const request = new $OpenApi.OpenApiRequest({ query: OpenApiUtil.default.query({ ...params }) });
  return (await client.callApi(apiParams, request, {} as TeaRuntime)) as { statusCode?: number; body: Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// A local API with its own configuration

export interface RpcTestApi {
  readonly baseUrl: string;
  readonly deps: ServiceDependencies;
  readonly key: AccessKey;
  stop(): Promise<void>;
}

export interface RpcTestApiOptions {
  /** Configuration variables on top of the harness's environment (RESEND_COOLDOWN_SECONDS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** The RPC access key this API accepts; a fresh one by default. */
  readonly key?: AccessKey;
  /** Real clients to use instead of the default ones (e.g. an SES client with a fault). */
  readonly overrides?: DependencyOverrides;
  /** Base URL for the mailed links, when another API should serve them. */
  readonly publicBaseUrl?: string;
}

/**
 * The real RPC handler (and the IAM handler, on the same dependencies) behind the local API
 * Gateway bridge on a free port, built with `createServiceDependencies(loadConfig(env),
 * await loadServiceSecrets(env), overrides)`. Nothing is read from or written to process.env
 * after start, so several can run side by side in one test file.
 */
export async function startRpcTestApi(options: RpcTestApiOptions = {}): Promise<RpcTestApi> {
  if (!process.env.DYNAMODB_ENDPOINT || !process.env.SES_ENDPOINT) {
    throw new Error('DYNAMODB_ENDPOINT / SES_ENDPOINT are not set: is the jest globalSetup configured?');
  }
  const key = options.key ?? freshAccessKey('api');
  let rpc: ProxyHandler | undefined;
  let iam: ProxyHandler | undefined;
  const rpcRoute: ProxyHandler = (event, context, callback) => rpc!(event, context, callback);
  const iamRoute: ProxyHandler = (event, context, callback) => iam!(event, context, callback);
  const bridge = createApiBridge({ routes: bridgeRoutes((api) => (api === 'rpc' ? rpcRoute : iamRoute)) });
  const baseUrl = await bridge.listen(0, '127.0.0.1');

  const env: Record<string, string | undefined> = {
    ...process.env,
    ...options.env,
    PUBLIC_BASE_URL: options.publicBaseUrl ?? baseUrl,
    RPC_ACCESS_KEY_ID: key.accessKeyId,
    RPC_ACCESS_KEY_SECRET: key.accessKeySecret,
  };
  for (const name of ['TOKEN_SIGNING_SECRET_ARN', 'OTP_HASH_SECRET_ARN', 'RPC_ACCESS_KEYS_SECRET_ARN']) delete env[name];
  try {
    const deps = createServiceDependencies(loadConfig(env), await loadServiceSecrets(env), options.overrides ?? {});
    rpc = createRpcHandler(deps) as unknown as ProxyHandler;
    iam = createIamHandler(deps) as unknown as ProxyHandler;
    return { baseUrl, deps, key, stop: () => bridge.close() };
  } catch (error) {
    await bridge.close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The mailed link

/** The token in a mailed `/email-verification?token=...` link. */
export function linkToken(link: string): string {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

export interface PageResponse {
  readonly status: number;
  readonly html: string;
  readonly contentType: string | null;
}

/** Opens the link the way a browser (or a link scanner) does. */
export async function openLink(link: string, headers: Record<string, string> = {}): Promise<PageResponse> {
  const response = await fetch(link, { headers });
  return { status: response.status, html: await response.text(), contentType: response.headers.get('content-type') };
}

/**
 * Submits the page's form the way a browser does: its action resolved against the page URL, its
 * hidden inputs form-encoded.
 */
export async function submitPageForm(pageUrl: string, html: string): Promise<PageResponse> {
  const form = /<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error('the page has no POST form');
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields.append(name, decodeHtml(value));
  }
  const response = await fetch(new URL(decodeHtml(form[1]!), pageUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  return { status: response.status, html: await response.text(), contentType: response.headers.get('content-type') };
}

function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** One entry of SuccessList / FailList / ExistList on the wire. */
export interface SendResult {
  Email: string;
  Code: string;
  Message: string;
  /** Only on SendTokenQuotaExceeded. */
  RetryAfter?: number;
}

/** The body of ResendEmailVerification (and SubmitEmailVerification, with ExistList). */
export interface SendLists {
  RequestId: string;
  SuccessList: SendResult[];
  FailList: SendResult[];
  ExistList?: SendResult[];
}
