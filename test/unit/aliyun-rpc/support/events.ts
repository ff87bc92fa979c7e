import { buildProxyEvent } from '../../../../local/proxy-event.js';
import type { RpcProxyEvent } from '../../../../src/aliyun-rpc/rpc-request.js';

/** A GET of `/` as API Gateway sends it; tests override what they exercise. */
export function proxyEvent(overrides: Partial<RpcProxyEvent> = {}): RpcProxyEvent {
  return { ...buildProxyEvent({ method: 'GET', path: '/', sourceIp: '198.51.100.7' }), ...overrides };
}

/** Query parameters in both of API Gateway's shapes. */
export function withQuery(query: Record<string, string>): Partial<RpcProxyEvent> {
  const { queryStringParameters, multiValueQueryStringParameters } = buildProxyEvent({ method: 'GET', path: '/', query });
  return { queryStringParameters, multiValueQueryStringParameters };
}

/** Headers in both of API Gateway's shapes, with the X-Forwarded-* it adds. */
export function withHeaders(headers: Record<string, string>): Partial<RpcProxyEvent> {
  const event = buildProxyEvent({ method: 'GET', path: '/', headers });
  return { headers: event.headers, multiValueHeaders: event.multiValueHeaders };
}
