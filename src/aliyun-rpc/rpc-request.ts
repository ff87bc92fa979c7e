import type { APIGatewayProxyEvent } from 'aws-lambda';

import { parseFormUrlEncoded, UndecodableInputError } from './form-urlencoded.js';
import { invalidParameter, requestTooLarge, RpcRequestError, unsupportedHttpMethod } from './rpc-errors.js';
import { isAcs3Authorization, parseAcs3Authorization, type Acs3Authorization } from './signature-acs3.js';

/**
 * The part of an API Gateway (REST API, proxy integration) event this module reads. A full
 * `APIGatewayProxyEvent` fits; so does a hand-built one from a local server or a test.
 */
export type RpcProxyEvent = Pick<
  APIGatewayProxyEvent,
  | 'httpMethod'
  | 'path'
  | 'headers'
  | 'multiValueHeaders'
  | 'queryStringParameters'
  | 'multiValueQueryStringParameters'
  | 'body'
  | 'isBase64Encoded'
> & {
  readonly requestContext: {
    /** The path as the client sent it, stage or base path included. */
    readonly path?: string;
    readonly identity: { readonly sourceIp: string };
  };
};

interface RpcRequestBase {
  readonly method: 'GET' | 'POST';
  /**
   * Decoded query and form-body parameters merged. For ACS3 requests it also carries `Action`,
   * `Version`, `SignatureNonce`, `Timestamp` and `AccessKeyId` taken from the headers, so the
   * caller reads the common parameters the same way for both schemes.
   */
  readonly params: Readonly<Record<string, string>>;
  /** Decoded query parameters alone: what an ACS3 signature covers one by one. */
  readonly query: Readonly<Record<string, string>>;
  /** Decoded form-body parameters alone. */
  readonly form: Readonly<Record<string, string>>;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
  readonly sourceIp: string;
  /**
   * Paths the client may have signed, likeliest first: behind a stage or a custom domain's base
   * path, API Gateway's `path` lacks the prefix the client put in its URL.
   */
  readonly pathCandidates: readonly string[];
}

export type RpcRequest =
  | (RpcRequestBase & { readonly authScheme: 'v1' })
  | (RpcRequestBase & { readonly authScheme: 'acs3'; readonly authorization: Acs3Authorization });

/** Where ACS3 clients put the common parameters that v1 clients send as parameters. */
const ACS3_HEADER_PARAMS = [
  ['x-acs-action', 'Action'],
  ['x-acs-version', 'Version'],
  ['x-acs-signature-nonce', 'SignatureNonce'],
  ['x-acs-date', 'Timestamp'],
] as const;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * Turns a proxy event into a request both signature schemes can verify. Throws
 * `RpcRequestError`: `UnsupportedHTTPMethod` for anything but GET and POST, `InvalidParameter`
 * for a repeated parameter or security header, undecodable text or a body that is not a form,
 * `IncompleteSignature` for a malformed ACS3 `Authorization` header.
 */
export function parseRpcRequest(event: RpcProxyEvent): RpcRequest {
  const method = event.httpMethod.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw unsupportedHttpMethod();

  const headers = readHeaders(event);
  const rawBody = readBody(event);
  const query = readQuery(event);
  const form = readForm(rawBody, headers['content-type']);

  const params = new Map(Object.entries(query));
  for (const [name, value] of Object.entries(form)) {
    if (params.has(name)) throw repeated(name);
    params.set(name, value);
  }

  const base = {
    method,
    query,
    form,
    headers,
    rawBody,
    sourceIp: event.requestContext.identity.sourceIp,
    pathCandidates: [...new Set([event.requestContext.path, event.path].filter(isNonEmpty))],
  } as const;

  const authorizationHeader = headers.authorization;
  if (authorizationHeader === undefined || !isAcs3Authorization(authorizationHeader)) {
    return { ...base, params: toRecord(params), authScheme: 'v1' };
  }

  const authorization = parseAcs3Authorization(authorizationHeader);
  const fromHeaders: Array<readonly [string, string | undefined]> = [
    ...ACS3_HEADER_PARAMS.map(([header, param]) => [param, headers[header]] as const),
    ['AccessKeyId', authorization.accessKeyId],
  ];
  for (const [name, value] of fromHeaders) {
    if (value === undefined) continue;
    const given = params.get(name);
    // A parameter that disagrees with its signed header would let the caller act as one
    // thing while having signed another.
    if (given !== undefined && given !== value) {
      throw invalidParameter(name, 'It disagrees with the value in the request headers.');
    }
    params.set(name, value);
  }
  return { ...base, params: toRecord(params), authScheme: 'acs3', authorization };
}

/**
 * Refuses a request whose query string (names and values, as API Gateway decoded them) or form
 * body (as sent) is over `maxBytes`. It is checked before the request is parsed, so neither the
 * parser nor the signature check (nor an error that echoes what was signed) ever works on more.
 */
export function assertRequestSize(event: RpcProxyEvent, maxBytes: number): void {
  let queryBytes = 0;
  const multi = event.multiValueQueryStringParameters;
  const entries: Array<[string, readonly (string | undefined)[]]> = multi
    ? Object.entries(multi).map(([name, values]) => [name, values ?? []])
    : Object.entries(event.queryStringParameters ?? {}).map(([name, value]) => [name, [value]]);
  for (const [name, values] of entries) {
    for (const value of values) queryBytes += Buffer.byteLength(name) + Buffer.byteLength(value ?? '') + 2;
  }
  if (queryBytes > maxBytes || bodyBytes(event) > maxBytes) throw requestTooLarge(maxBytes);
}

function bodyBytes(event: RpcProxyEvent): number {
  const body = event.body ?? '';
  if (event.isBase64Encoded) return Math.floor((body.length * 3) / 4);
  // Counting UTF-8 bytes walks the string: skip it when the length alone decides.
  return body.length * 3 <= Number.MAX_SAFE_INTEGER && body.length > 0 ? Buffer.byteLength(body, 'utf8') : 0;
}

/**
 * What decides the answer's format, read without judging the request: the first `Format` in the
 * query or a form body, and whether the `Authorization` header claims ACS3. Answers to requests
 * that fail to parse use it too, so every answer is in the format the client asked for. Only the
 * first `peekBytes` of a body are read: no more than a request may have.
 */
export function peekFormatHints(event: RpcProxyEvent, peekBytes = Infinity): { format: string | undefined; acs3: boolean } {
  const header = (name: string) => Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  const isForm = header('content-type')?.split(';')[0]?.trim().toLowerCase() === FORM_CONTENT_TYPE;
  return {
    format: peekQueryFormat(event) ?? (isForm ? peekFormFormat(event, peekBytes) : undefined),
    acs3: isAcs3Authorization(header('authorization')),
  };
}

function peekQueryFormat(event: RpcProxyEvent): string | undefined {
  const multi = event.multiValueQueryStringParameters;
  const single = event.queryStringParameters;
  if (multi && Object.hasOwn(multi, 'Format')) return multi.Format?.[0];
  return single && Object.hasOwn(single, 'Format') ? single.Format : undefined;
}

function peekFormFormat(event: RpcProxyEvent, peekBytes: number): string | undefined {
  if (!event.body) return undefined;
  try {
    const body = readBody(event);
    const text = (body.length > peekBytes ? body.subarray(0, peekBytes) : body).toString('utf8');
    return new URLSearchParams(text).get('Format') ?? undefined;
  } catch {
    return undefined;
  }
}

function isNonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** Null-prototype, so a parameter named `__proto__` or `constructor` is just a parameter. */
function toRecord(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const record = Object.create(null) as Record<string, string>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

function repeated(name: string): RpcRequestError {
  return invalidParameter(name, 'It is given more than once.');
}

function undecodable(where: string): RpcRequestError {
  return new RpcRequestError('InvalidParameter', {
    message: `The ${where} is not valid percent-encoded UTF-8.`,
  });
}

/**
 * Headers that take part in authentication may appear once: a repeated one could be read one
 * way by the signature check and another way by the code that acts on it.
 */
function isSecurityHeader(name: string): boolean {
  return name === 'authorization' || name === 'host' || name === 'content-type' || name.startsWith('x-acs-');
}

function readHeaders(event: RpcProxyEvent): Record<string, string> {
  const lists = multiValueFirst(event.multiValueHeaders, event.headers, (name) => name.toLowerCase());
  const headers: Array<[string, string]> = [];
  for (const [name, list] of lists) {
    if (list.length > 1 && isSecurityHeader(name)) throw invalidParameter(name, 'The header is given more than once.');
    headers.push([name, list.join(', ')]);
  }
  return toRecord(headers);
}

/**
 * API Gateway fills both maps; the multi-value one is complete, the other keeps only the last
 * of repeated values. Hand-built events (local server, tests) may fill either, so a name
 * missing from the multi-value map is taken from the single-value one.
 */
function multiValueFirst(
  multi: Readonly<Record<string, readonly string[] | undefined>> | null | undefined,
  single: Readonly<Record<string, string | undefined>> | null | undefined,
  normalise: (name: string) => string,
): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const [name, list] of Object.entries(multi ?? {})) {
    if (list === undefined || list.length === 0) continue;
    const key = normalise(name);
    lists.set(key, [...(lists.get(key) ?? []), ...list]);
  }
  const fromMulti = new Set(lists.keys());
  for (const [name, value] of Object.entries(single ?? {})) {
    if (value === undefined) continue;
    const key = normalise(name);
    if (fromMulti.has(key)) continue;
    lists.set(key, [...(lists.get(key) ?? []), value]);
  }
  return lists;
}

function readBody(event: RpcProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** API Gateway has already form-decoded query values: `%XX` as UTF-8 and `+` as a space. */
function readQuery(event: RpcProxyEvent): Record<string, string> {
  const lists = multiValueFirst(event.multiValueQueryStringParameters, event.queryStringParameters, (name) => name);
  const entries: Array<[string, string]> = [];
  for (const [name, list] of lists) {
    if (list.length > 1) throw repeated(name);
    entries.push([name, list[0] ?? '']);
  }
  return toRecord(entries);
}

function readForm(rawBody: Buffer, contentType: string | undefined): Record<string, string> {
  if (rawBody.length === 0) return toRecord([]);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM_CONTENT_TYPE) {
    throw invalidParameter('Content-Type', `RPC request bodies must be ${FORM_CONTENT_TYPE}.`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
  } catch {
    throw undecodable('request body');
  }
  let pairs: Array<[string, string]>;
  try {
    pairs = parseFormUrlEncoded(text);
  } catch (error) {
    if (error instanceof UndecodableInputError) throw undecodable('request body');
    throw error;
  }
  const seen = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (seen.has(name)) throw repeated(name);
    seen.set(name, value);
  }
  return toRecord(seen);
}
