/**
 * The one builder of API Gateway proxy events (REST API, Lambda proxy integration, payload 1.0)
 * in this project: the local bridge, the tests, the benchmark and `events/` all use it, so they
 * agree with each other and with API Gateway on what a handler receives:
 * - header names keep the client's spelling; `headers` holds the last value of a repeated header,
 *   `multiValueHeaders` all of them; API Gateway adds X-Forwarded-For/-Proto/-Port;
 * - query values are form-decoded: `%XX` as UTF-8 and `+` as a space (a real REST proxy event
 *   turns `sort=-+createdAt` into `"- createdAt"`, aws/aws-cdk#19827); both query maps are null
 *   when there is no query;
 * - the body is a UTF-8 string for text media types and base64 (`isBase64Encoded`) otherwise;
 * - `resource` is the route's declared path; `requestContext.path` is the path the client sent,
 *   stage or custom domain base path included.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_API_ID = 'localapi01';

export interface ProxyRequest {
  readonly method: string;
  /** The request path as routed (no stage), percent-encoded as on the wire. */
  readonly path: string;
  /** The query: raw wire text (with or without `?`), or decoded pairs to encode. */
  readonly query?: string | Readonly<Record<string, string>>;
  /** Headers in wire order (repeats allowed), or one value per name. */
  readonly headers?: ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  readonly sourceIp?: string;
  /** The API Gateway resource the request matched; defaults to `path`. */
  readonly resource?: string;
  /** Default `prod`, as the deployed stack's stage. */
  readonly stage?: string;
  /** The path the client sent; defaults to `/<stage><path>`, as on the execute-api domain. */
  readonly requestPath?: string;
  /** Default: the Host header, else the stage's execute-api domain. */
  readonly domainName?: string;
  /** What API Gateway's X-Forwarded-Proto/-Port say; default https on 443. */
  readonly forwardedProto?: string;
  readonly forwardedPort?: string | number;
  readonly protocol?: string;
  readonly requestId?: string;
  readonly receivedAt?: Date;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|graphql)|[^;]*\+(json|xml)\b)/i;

/** Bodies API Gateway passes as text; anything else arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.trim() === '' || TEXT_TYPES.test(contentType.trim());
}

export function buildProxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const method = request.method.toUpperCase();
  const stage = request.stage ?? 'prod';
  const receivedAt = request.receivedAt ?? new Date();
  const requestId = request.requestId ?? randomUUID();
  const sourceIp = request.sourceIp ?? '198.51.100.23';
  const path = safeDecode(request.path);
  const resource = request.resource ?? path;
  const headers = headerMaps(request, sourceIp);
  const query = queryMaps(request.query);
  const domainName = request.domainName ?? headers.get('host') ?? `${LOCAL_API_ID}.execute-api.us-east-1.amazonaws.com`;
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? Buffer.alloc(0));
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
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: null,
      domainName,
      domainPrefix: domainName.split(/[.:]/)[0],
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
      path: request.requestPath ?? `/${stage}${path === '/' ? '' : path}`,
      protocol: request.protocol ?? 'HTTP/1.1',
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

function headerMaps(request: ProxyRequest, sourceIp: string) {
  const pairs = Array.isArray(request.headers)
    ? (request.headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(request.headers ?? {});
  // Null-prototype maps: a header named `__proto__` or `constructor` is just a header.
  const multi = Object.create(null) as Record<string, string[]>;
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
  for (const [name, value] of pairs) add(name, value);
  // What API Gateway adds in front of every integration.
  const forwardedFor = nameOf.get('x-forwarded-for');
  if (forwardedFor === undefined) add('X-Forwarded-For', sourceIp);
  else multi[forwardedFor] = [`${multi[forwardedFor]!.join(', ')}, ${sourceIp}`];
  if (!nameOf.has('x-forwarded-proto')) add('X-Forwarded-Proto', request.forwardedProto ?? 'https');
  if (!nameOf.has('x-forwarded-port')) add('X-Forwarded-Port', String(request.forwardedPort ?? 443));
  const single = Object.create(null) as Record<string, string>;
  for (const [name, values] of Object.entries(multi)) single[name] = values[values.length - 1]!;
  return { single, multi, get: (name: string) => single[nameOf.get(name.toLowerCase()) ?? name] };
}

function queryMaps(query: ProxyRequest['query']) {
  const raw = typeof query === 'string' ? query.replace(/^\?/, '') : new URLSearchParams(query ?? {}).toString();
  if (raw === '') return { single: null, multi: null };
  const multi = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of new URLSearchParams(raw)) (multi[name] ??= []).push(value);
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single = Object.create(null) as Record<string, string>;
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

function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
