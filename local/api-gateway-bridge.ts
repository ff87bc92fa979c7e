/**
 * A local API Gateway (REST API, Lambda proxy integration, payload v1.0) in front of the real
 * Lambda handlers: every HTTP request becomes the event API Gateway would send, the handler's
 * result becomes the HTTP response API Gateway would write.
 *
 * Kept faithful where handlers can tell the difference: unknown routes and methods answer the
 * stack's gateway response (404 with the routes, lambdas/http/no-route.ts), bodies over 10 MB answer 413, a throwing
 * handler or malformed result answers 502 `{"message":"Internal server error"}`, a handler
 * slower than the integration timeout answers 504. The event itself comes from the project's one
 * event builder (proxy-event.ts). With allowed CORS origins it answers a CORS route's preflight
 * (OPTIONS) and puts CORS headers on its own errors exactly as the stack's API Gateway does
 * (lambdas/http/cors.ts holds the one policy).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { gatewayResponseOrigin, preflightHeaders } from '../lambdas/http/cors.js';
import { NO_ROUTE_BODY, NO_ROUTE_STATUS } from '../lambdas/http/no-route.js';
import { FUNCTIONS, ROUTES, type ApiName } from '../lambdas/routes.js';
import { lambdaContext } from './lambda-context.js';
import { buildProxyEvent } from './proxy-event.js';

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
  /** Browser pages of other origins call it: preflights are answered for its path. */
  readonly cors?: boolean;
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
  /** CORS_ALLOWED_ORIGINS, parsed (lambdas/http/cors.ts); empty or absent: no CORS, as the stack. */
  readonly corsAllowedOrigins?: readonly string[];
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

/** Every declared route, each served by the handler `handlerOf` gives its API. */
export function bridgeRoutes(handlerOf: (api: ApiName) => ProxyHandler | LazyHandler): BridgeRoute[] {
  const handlers = new Map<ApiName, ProxyHandler | LazyHandler>();
  return Object.values(ROUTES).map((route) => {
    if (!handlers.has(route.api)) handlers.set(route.api, handlerOf(route.api));
    return {
      method: route.method,
      path: route.path,
      functionName: FUNCTIONS[route.api].name,
      handler: handlers.get(route.api)!,
      ...('cors' in route && route.cors ? { cors: true } : {}),
    };
  });
}

/** The deployed API's routes and functions, each module loaded lazily and once per bridge. */
export function defaultRoutes(): BridgeRoute[] {
  return bridgeRoutes((api) => moduleHandler(`../${FUNCTIONS[api].entry.replace(/\.ts$/, '.js')}`));
}

function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** The event API Gateway would send for `req`, on the local stage (no stage in the URL). */
function eventOf(req: IncomingMessage, route: BridgeRoute, url: URL, body: Buffer, stage: string, requestId: string): APIGatewayProxyEvent {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return buildProxyEvent({
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.search,
    headers,
    body,
    sourceIp: sourceIpOf(req),
    resource: route.resource ?? route.path,
    stage,
    requestPath: url.pathname,
    domainName: req.headers.host ?? 'localhost',
    forwardedProto: 'http',
    forwardedPort: req.socket.localPort ?? '',
    protocol: `HTTP/${req.httpVersion}`,
    requestId,
  });
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
  for (const [name, value] of Object.entries(gatewayCorsHeaders.get(res) ?? {})) headers.set(name.toLowerCase(), { name, values: [value] });
  headers.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  headers.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  for (const [name, value] of Object.entries(extra)) headers.set(name.toLowerCase(), { name, values: [value] });
  send(res, status, headers, Buffer.from(JSON.stringify(payload)));
}

// ---------------------------------------------------------------------------------------------
// CORS, as the stack configures API Gateway

/** The CORS headers of the bridge's own (gateway) answers, per response: set when a request comes in. */
const gatewayCorsHeaders = new WeakMap<ServerResponse, Record<string, string>>();

function gatewayResponseCors(origins: readonly string[], req: IncomingMessage): Record<string, string> {
  const origin = gatewayResponseOrigin(origins);
  if (origin === undefined) return {};
  // A header copied from a request that lacks it is left out, as API Gateway does.
  const value = 'fixed' in origin ? origin.fixed : req.headers.origin;
  return value === undefined ? {} : { 'Access-Control-Allow-Origin': value, ...(value === '*' ? {} : { Vary: 'Origin' }) };
}

/** The mock integration's answer to a preflight on a CORS route's path, or false when there is none. */
function answerPreflight(settings: BridgeSettings, req: IncomingMessage, res: ServerResponse, path: string, requestId: string): boolean {
  const origins = settings.corsAllowedOrigins;
  const routes = settings.routes.filter((route) => route.path === path);
  if (origins.length === 0 || !routes.some((route) => route.cors)) return false;
  req.resume();
  const methods = ['OPTIONS', ...routes.map((route) => route.method)];
  const headers = new Map<string, { name: string; values: string[] }>();
  const values = { ...preflightHeaders(origins, req.headers.origin, methods), 'x-amzn-RequestId': requestId, 'Content-Type': 'application/json' };
  for (const [name, value] of Object.entries(values)) headers.set(name.toLowerCase(), { name, values: [value] });
  send(res, 204, headers, Buffer.alloc(0));
  return true;
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

/** Calls the handler, or settles 'timeout' when the integration timeout runs out first. */
async function invokeWithin(
  handler: ProxyHandler,
  event: APIGatewayProxyEvent,
  context: Context,
  remainingMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, remainingMs));
  });
  try {
    return await Promise.race([invoke(handler, event, context), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function writeResult(res: ServerResponse, outcome: unknown, requestId: string): void {
  const result = checkResult(outcome);
  const headers = mergedHeaders(result);
  if (!headers.has('x-amzn-requestid')) headers.set('x-amzn-requestid', { name: 'x-amzn-RequestId', values: [requestId] });
  const payload = result.body ?? '';
  send(res, result.statusCode, headers, result.isBase64Encoded ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8'));
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  // Answer now and close: the rest of an oversized body is not worth reading.
  res.setHeader('Connection', 'close');
  res.on('finish', () => setTimeout(() => req.socket.destroy(), 50).unref());
  req.resume();
  sendJson(res, 413, { message: 'Request Too Long' }, requestId);
}

type FailureReport = NonNullable<ApiBridgeOptions['onError']>;

interface BridgeSettings {
  readonly routes: readonly BridgeRoute[];
  readonly stage: string;
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
  readonly region?: string;
  readonly log?: (line: string) => void;
  readonly reportFailure: FailureReport;
  readonly corsAllowedOrigins: readonly string[];
}

const reportToStderr: FailureReport = (error, info) =>
  process.stderr.write(`[api-gateway-bridge] ${info.method} ${info.path}: ${info.kind}: ${(error as Error)?.stack ?? String(error)}\n`);

/** One HTTP request through API Gateway's steps: match, read, build the event, invoke, answer. */
async function handleRequest(settings: BridgeSettings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const requestId = randomUUID();
  const url = new URL(req.url ?? '/', 'http://bridge.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  res.on('finish', () => settings.log?.(`${method} ${url.pathname} -> ${res.statusCode} (${Date.now() - started} ms)`));
  gatewayCorsHeaders.set(res, gatewayResponseCors(settings.corsAllowedOrigins, req));

  if (method === 'OPTIONS' && answerPreflight(settings, req, res, url.pathname, requestId)) return;
  const route = settings.routes.find((candidate) => candidate.method === method && candidate.path === url.pathname);
  if (route === undefined) {
    req.resume();
    return sendJson(res, NO_ROUTE_STATUS, NO_ROUTE_BODY, requestId, {
      'Cache-Control': 'no-store',
      'x-amzn-ErrorType': 'MissingAuthenticationTokenException',
    });
  }
  const body = await readBody(req, settings.maxBodyBytes);
  if (body === 'too-large') return refuseTooLarge(req, res, requestId);

  const event = eventOf(req, route, url, body, settings.stage, requestId);
  const context = lambdaContext(route.functionName, settings.timeoutMs, settings.region);
  try {
    const handler = isLazy(route.handler) ? await route.handler.load() : route.handler;
    const outcome = await invokeWithin(handler, event, context, settings.timeoutMs - (Date.now() - started));
    if (outcome === 'timeout') return sendJson(res, 504, { message: 'Endpoint request timed out' }, requestId);
    writeResult(res, outcome, requestId);
  } catch (error) {
    const kind = error instanceof MalformedResult ? 'Malformed Lambda proxy response' : 'Lambda function failed';
    settings.reportFailure(error, { method, path: url.pathname, kind });
    if (!res.headersSent) sendJson(res, 502, { message: 'Internal server error' }, requestId, { 'x-amzn-ErrorType': 'InternalServerErrorException' });
    else res.destroy();
  }
}

function listen(server: Server, port: number, host: string): Promise<string> {
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
}

export function createApiBridge(options: ApiBridgeOptions): ApiBridge {
  const settings: BridgeSettings = {
    routes: [...options.routes],
    stage: options.stage ?? 'local',
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    timeoutMs: options.timeoutMs ?? INTEGRATION_TIMEOUT_MS,
    ...(options.region ? { region: options.region } : {}),
    ...(options.log ? { log: options.log } : {}),
    reportFailure: options.onError ?? reportToStderr,
    corsAllowedOrigins: options.corsAllowedOrigins ?? [],
  };
  const routes = settings.routes;
  const server = createServer((req, res) => {
    handleRequest(settings, req, res).catch((error: unknown) => {
      process.stderr.write(`[api-gateway-bridge] ${String((error as Error)?.stack ?? error)}\n`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });

  return {
    server,
    listen: (port = 0, host = '127.0.0.1') => listen(server, port, host),
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
