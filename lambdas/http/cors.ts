/**
 * CORS for the routes a browser page calls (the IAM routes), one policy for every place that
 * answers them: the IAM function's responses, API Gateway's preflight (OPTIONS) answer and its
 * own error responses (the stack), and the local bridge, which answers as the stack does.
 *
 * No `Access-Control-Allow-Credentials`, ever: the token travels in the Authorization header,
 * which a page sends with plain `fetch` once the preflight allows the header; cookies and TLS
 * client certificates are not used. That is also why `*` is safe to allow: without credentials a
 * browser never shares a cookie-authenticated answer with another origin.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { headerValue } from './headers.js';

/** Request headers a page may send: the token, the JSON body's type, the mail's language. */
export const CORS_ALLOW_HEADERS: readonly string[] = ['Authorization', 'Content-Type', 'Accept-Language'];
/** Response headers a page's script may read besides the safelisted ones: the 429's wait. */
export const CORS_EXPOSE_HEADERS: readonly string[] = ['Retry-After'];
/** How long a browser may keep a preflight's answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * CORS_ALLOWED_ORIGINS: a comma-separated list of origins (`https://app.example.com`, a port if
 * not the scheme's default, no path), or `*` alone; unset or empty means no CORS.
 */
export function parseAllowedOrigins(raw: string | undefined): readonly string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (origins.includes('*')) {
    if (origins.length > 1) throw new Error(`CORS_ALLOWED_ORIGINS: "*" allows every origin and cannot be listed with others: "${raw}"`);
    return origins;
  }
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new Error(
        `CORS_ALLOWED_ORIGINS: "${origin}" is not an origin; write scheme://host[:port] in lower case, without a path or a trailing /` +
          (parsed && parsed.origin !== 'null' ? ` (did you mean "${parsed.origin}"?)` : ''),
      );
    }
  }
  return [...new Set(origins)];
}

/** The Access-Control-Allow-Origin value for a request from `origin`, or undefined if it is not allowed. */
export function allowedOrigin(origins: readonly string[], origin: string | undefined): string | undefined {
  if (origins[0] === '*') return '*';
  return origin !== undefined && origins.includes(origin) ? origin : undefined;
}

/** Headers for an actual (non-preflight) response to a request from `origin`. */
export function corsResponseHeaders(origins: readonly string[], origin: string | undefined): Record<string, string> {
  if (origins.length === 0) return {};
  const allowed = allowedOrigin(origins, origin);
  // The answer depends on Origin whenever specific origins are listed: caches must key on it.
  const vary: Record<string, string> = origins[0] === '*' ? {} : { Vary: 'Origin' };
  if (allowed === undefined) return vary;
  return { 'Access-Control-Allow-Origin': allowed, 'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(','), ...vary };
}

/**
 * The preflight answer, as API Gateway's mock integration (CDK `addCorsPreflight`) gives it:
 * 204 with the allowed methods and headers; the requesting origin when it is listed, otherwise
 * the first listed origin, which the browser then refuses because it is not its own.
 */
export function preflightHeaders(origins: readonly string[], origin: string | undefined, methods: readonly string[]): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': allowedOrigin(origins, origin) ?? origins[0]!,
    'Access-Control-Allow-Methods': methods.join(','),
    'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS.join(','),
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
    ...(origins[0] === '*' ? {} : { Vary: 'Origin' }),
  };
}

/**
 * API Gateway's own error responses (401 for a missing Authorization header, 403, 429, 5xx) carry
 * CORS headers too, or a page sees only a network error. A gateway response's header is either a
 * fixed value or a request header copied as is: one listed origin (or `*`) is fixed; with several,
 * the request's Origin is echoed. That shares nothing: these answers are the same generic errors
 * for everyone, and no credentials are ever allowed.
 */
export function gatewayResponseOrigin(origins: readonly string[]): { readonly fixed: string } | { readonly echo: 'Origin' } | undefined {
  if (origins.length === 0) return undefined;
  return origins.length === 1 ? { fixed: origins[0]! } : { echo: 'Origin' };
}

/** The IAM function's CORS headers on every answer, errors included. */
export function corsHeaders(origins: readonly string[]): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const addHeaders = (request: { event: APIGatewayProxyEvent; response: APIGatewayProxyResult | null | undefined }) => {
    if (!request.response || origins.length === 0) return;
    const headers = corsResponseHeaders(origins, headerValue(request.event, 'origin'));
    request.response = { ...request.response, headers: { ...request.response.headers, ...headers } };
  };
  return { after: addHeaders, onError: addHeaders };
}
