/**
 * A local API Gateway (REST API, Lambda proxy integration, payload v1.0) in front of the real
 * Lambda handlers: every HTTP request becomes the event API Gateway would send, the handler's
 * result becomes the HTTP response API Gateway would write.
 *
 * Kept faithful where handlers can tell the difference: unknown routes and methods answer
 * 403 `{"message":"Missing Authentication Token"}`, bodies over 10 MB answer 413, a throwing
 * handler or malformed result answers 502 `{"message":"Internal server error"}`, a handler
 * slower than the integration timeout answers 504, query strings decode `+` as a space, and
 * `multiValueQueryStringParameters` / `queryStringParameters` are null when there is no query.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export type ProxyHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
  callback: (error?: unknown, result?: APIGatewayProxyResult) => void,
) => unknown;

/** A handler loaded on first use (after the environment is set), once. */
export interface LazyHandler {
  load(): Promise<ProxyHandler>;
}

export interface BridgeRoute {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Exact request path; the query string is not part of the match. */
  readonly path: string;
  /** API Gateway resource path; defaults to `path`. */
  readonly resource?: string;
  /** Lambda function name shown in the context. */
  readonly functionName: string;
  readonly handler: ProxyHandler | LazyHandler;
}

export interface ApiBridgeOptions {
  readonly routes: readonly BridgeRoute[];
  readonly stage?: string;
  /** API Gateway's payload limit: 10 MB. */
  readonly maxBodyBytes?: number;
  /** Integration timeout (API Gateway's default 29 s); also the Lambda context's deadline. */
  readonly timeoutMs?: number;
  readonly region?: string;
  /** One line per request (method, path, status, time), e.g. to stderr. */
  readonly log?: (line: string) => void;
  /** A handler failed or returned a malformed result (the client got 502). Default: stderr. */
  readonly onError?: (error: unknown, info: { method: string; path: string; kind: string }) => void;
}

export interface ApiBridge {
  readonly server: Server;
  /** Listens (port 0 = free port) and resolves to the base URL, e.g. http://127.0.0.1:3000. */
  listen(port?: number, host?: string): Promise<string>;
  /** Loads every lazy handler now; rejects with the first load error. */
  preload(): Promise<void>;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const INTEGRATION_TIMEOUT_MS = 29_000;
const ACCOUNT_ID = '123456789012';
const API_ID = 'localapi01';

// ---------------------------------------------------------------------------------------------
// Handlers

function isLazy(handler: ProxyHandler | LazyHandler): handler is LazyHandler {
  return typeof handler !== 'function';
}

/** Wraps a module loader: loaded once; a failed load is retried on the next request. */
export function lazyHandler(loadModule: () => Promise<unknown>, exportName = 'handler', label = 'handler module'): LazyHandler {
  let loading: Promise<ProxyHandler> | undefined;
  return {
    load() {
      if (loading === undefined) {
        const attempt = loadModule().then((module) => {
          const candidate = (module as Record<string, unknown> | null)?.[exportName];
          if (typeof candidate !== 'function') {
            throw new Error(`${label} does not export a function named "${exportName}"`);
          }
          return candidate as ProxyHandler;
        });
        loading = attempt;
        attempt.catch(() => {
          if (loading === attempt) loading = undefined;
        });
      }
      return loading;
    },
  };
}

/**
 * A handler in a module, imported with a specifier relative to this file
 * (`../lambdas/rpc/index.js`). The specifier is a variable on purpose: the handler modules are
 * optional at type-check time and must be imported only after the environment is set.
 */
export function moduleHandler(specifier: string, exportName = 'handler'): LazyHandler {
  return lazyHandler(() => import(specifier), exportName, specifier);
}

export const RESEND_CODE_MODULE = '../lambdas/resend-code/index.js';
export const RPC_MODULE = '../lambdas/rpc/index.js';

/** The deployed API's routes, each module loaded lazily and once per bridge. */
export function defaultRoutes(): BridgeRoute[] {
  const resendCode = moduleHandler(RESEND_CODE_MODULE);
  const rpc = moduleHandler(RPC_MODULE);
  return [
    { method: 'POST', path: '/api/v1/users/email-verification-code', functionName: 'resend-code', handler: resendCode },
    { method: 'POST', path: '/api/v1/users/email-verification', functionName: 'resend-code', handler: resendCode },
    { method: 'GET', path: '/', functionName: 'rpc', handler: rpc },
    { method: 'POST', path: '/', functionName: 'rpc', handler: rpc },
    { method: 'GET', path: '/email-verification', functionName: 'rpc', handler: rpc },
    { method: 'POST', path: '/email-verification', functionName: 'rpc', handler: rpc },
  ];
}

// ---------------------------------------------------------------------------------------------
// Request -> event

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|graphql)|[^;]*\+(json|xml)\b)/i;

/** Bodies API Gateway would pass as text; anything else is passed base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.trim() === '' || TEXT_TYPES.test(contentType.trim());
}

function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function headerMaps(req: IncomingMessage, sourceIp: string) {
  const multi: Record<string, string[]> = {};
  const nameOf = new Map<string, string>();
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const existing = nameOf.get(key);
    if (existing === undefined) {
      nameOf.set(key, name);
      multi[name] = [value];
    } else {
      multi[existing]!.push(value);
    }
  };
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) add(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  // What API Gateway adds in front of every integration.
  const forwardedFor = nameOf.get('x-forwarded-for');
  if (forwardedFor === undefined) add('X-Forwarded-For', sourceIp);
  else multi[forwardedFor] = [`${multi[forwardedFor]!.join(', ')}, ${sourceIp}`];
  if (!nameOf.has('x-forwarded-proto')) add('X-Forwarded-Proto', 'http');
  if (!nameOf.has('x-forwarded-port')) add('X-Forwarded-Port', String(req.socket.localPort ?? ''));
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) single[name] = values[values.length - 1]!;
  return { single, multi, get: (name: string) => single[nameOf.get(name.toLowerCase()) ?? name] };
}

function queryMaps(search: string) {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return { single: null, multi: null };
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(raw)) (multi[name] ??= []).push(value);
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) single[name] = values[values.length - 1]!;
  return { single, multi };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export interface EventInput {
  readonly req: IncomingMessage;
  readonly route: BridgeRoute;
  readonly body: Buffer;
  readonly pathname: string;
  readonly search: string;
  readonly stage: string;
  readonly requestId: string;
  readonly receivedAt: Date;
}

export function toProxyEvent(input: EventInput): APIGatewayProxyEvent {
  const { req, route, body, stage, requestId, receivedAt } = input;
  const sourceIp = sourceIpOf(req);
  const headers = headerMaps(req, sourceIp);
  const query = queryMaps(input.search);
  const method = (req.method ?? 'GET').toUpperCase();
  const resource = route.resource ?? route.path;
  const path = safeDecode(input.pathname);
  const text = isTextContentType(headers.get('content-type'));
  return {
    resource,
    path,
    httpMethod: method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      authorizer: null,
      domainName: headers.get('host') ?? 'localhost',
      domainPrefix: (headers.get('host') ?? 'localhost').split(/[.:]/)[0],
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: headers.get('user-agent') ?? null,
        userArn: null,
      },
      path,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: requestTime(receivedAt),
      requestTimeEpoch: receivedAt.getTime(),
      resourceId: resource === '/' ? 'root' : resource.replace(/[^a-z0-9]/gi, '').slice(-10).toLowerCase(),
      resourcePath: resource,
      stage,
    },
    body: body.length === 0 ? null : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
  };
}

export function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported by the local bridge; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${today}/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

// ---------------------------------------------------------------------------------------------
// Result -> response

class MalformedResult extends Error {}

function checkResult(result: unknown): APIGatewayProxyResult {
  if (typeof result !== 'object' || result === null) throw new MalformedResult('the handler returned no object');
  const { statusCode, body, headers, multiValueHeaders, isBase64Encoded } = result as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedResult(`statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}`);
  }
  if (body !== undefined && body !== null && typeof body !== 'string') throw new MalformedResult('body must be a string');
  if (headers !== undefined && headers !== null && typeof headers !== 'object') throw new MalformedResult('headers must be an object');
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object') throw new MalformedResult('multiValueHeaders must be an object');
    for (const values of Object.values(multiValueHeaders)) {
      if (!Array.isArray(values)) throw new MalformedResult('multiValueHeaders values must be arrays');
    }
  }
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') {
    throw new MalformedResult('isBase64Encoded must be a boolean');
  }
  return result as APIGatewayProxyResult;
}

/** API Gateway's merge: multiValueHeaders win over headers for the same name. */
function mergedHeaders(result: APIGatewayProxyResult): Map<string, { name: string; values: string[] }> {
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    merged.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  const multiSeen = new Set<string>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    const key = name.toLowerCase();
    const strings = values.map((value) => String(value));
    if (multiSeen.has(key)) merged.get(key)!.values.push(...strings);
    else merged.set(key, { name, values: strings });
    multiSeen.add(key);
  }
  return merged;
}

function send(res: ServerResponse, status: number, headers: Map<string, { name: string; values: string[] }>, body: Buffer) {
  if (!headers.has('content-type')) headers.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  res.statusCode = status;
  for (const { name, values } of headers.values()) {
    res.setHeader(name, values.length === 1 ? values[0]! : values);
  }
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string, extra: Record<string, string> = {}) {
  const headers = new Map<string, { name: string; values: string[] }>();
  headers.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  headers.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  for (const [name, value] of Object.entries(extra)) headers.set(name.toLowerCase(), { name, values: [value] });
  send(res, status, headers, Buffer.from(JSON.stringify(payload)));
}

// ---------------------------------------------------------------------------------------------
// The server

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve('too-large');
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function invoke(handler: ProxyHandler, event: APIGatewayProxyEvent, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned !== null && typeof returned === 'object' && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

export function createApiBridge(options: ApiBridgeOptions): ApiBridge {
  const stage = options.stage ?? 'local';
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const timeoutMs = options.timeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const region = () => options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const routes = [...options.routes];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const receivedAt = new Date(started);
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://bridge.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    res.on('finish', () => options.log?.(`${method} ${url.pathname} -> ${res.statusCode} (${Date.now() - started} ms)`));

    const route = routes.find((candidate) => candidate.method === method && candidate.path === url.pathname);
    if (route === undefined) {
      req.resume();
      return sendJson(res, 403, { message: 'Missing Authentication Token' }, requestId, { 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' });
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      // Answer now and close: the rest of an oversized body is not worth reading.
      res.setHeader('Connection', 'close');
      res.on('finish', () => setTimeout(() => req.socket.destroy(), 50).unref());
      req.resume();
      return sendJson(res, 413, { message: 'Request Too Long' }, requestId);
    }

    const event = toProxyEvent({ req, route, body, pathname: url.pathname, search: url.search, stage, requestId, receivedAt });
    const context = lambdaContext(route.functionName, region(), timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = isLazy(route.handler) ? await route.handler.load() : route.handler;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs - (Date.now() - started)));
      });
      const outcome = await Promise.race([invoke(handler, event, context), timedOut]);
      if (outcome === 'timeout') {
        return sendJson(res, 504, { message: 'Endpoint request timed out' }, requestId);
      }
      const result = checkResult(outcome);
      const headers = mergedHeaders(result);
      if (!headers.has('x-amzn-requestid')) headers.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
      const payload = result.body ?? '';
      send(res, result.statusCode, headers, result.isBase64Encoded ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8'));
    } catch (error) {
      const kind = error instanceof MalformedResult ? 'Malformed Lambda proxy response' : 'Lambda function failed';
      if (options.onError) options.onError(error, { method, path: url.pathname, kind });
      else process.stderr.write(`[api-gateway-bridge] ${method} ${url.pathname}: ${kind}: ${(error as Error)?.stack ?? String(error)}\n`);
      if (!res.headersSent) sendJson(res, 502, { message: 'Internal server error' }, requestId, { 'x-amzn-ErrorType': 'InternalServerErrorException' });
      else res.destroy();
    } finally {
      if (timer) clearTimeout(timer);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`[api-gateway-bridge] ${String((error as Error)?.stack ?? error)}\n`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });

  return {
    server,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) =>
          reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} for the API is already in use (set PORT=<port>).`) : error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.removeListener('error', onError);
          const { port: actual } = server.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
        });
      });
    },
    async preload() {
      // One after the other: concurrent dynamic imports sharing dependencies trip jest's ESM
      // loader ("request for '...' is not in cache").
      const lazy = new Set(routes.map((route) => route.handler).filter(isLazy));
      for (const handler of lazy) await handler.load();
    },
    close() {
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
