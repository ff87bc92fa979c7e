import type { RpcProxyEvent } from '../../../../src/aliyun-rpc/rpc-request.js';

/** A minimal proxy event; tests override what they exercise. */
export function proxyEvent(overrides: Partial<RpcProxyEvent> = {}): RpcProxyEvent {
  return {
    httpMethod: 'GET',
    path: '/',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path: '/', identity: { sourceIp: '198.51.100.7' } },
    ...overrides,
  };
}

/** Query parameters in both of API Gateway's shapes. */
export function withQuery(query: Record<string, string>): Partial<RpcProxyEvent> {
  return {
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
  };
}

/** Headers in both of API Gateway's shapes. */
export function withHeaders(headers: Record<string, string>): Partial<RpcProxyEvent> {
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
  };
}
