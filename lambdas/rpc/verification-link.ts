import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Lang } from '../../src/domain/lang.js';
import { headerValue } from '../http/headers.js';
import { ROUTES } from '../routes.js';

/** The mailed link: the verification page under `baseUrl`, whether or not it ends in `/`. */
export function verificationLink(baseUrl: string, token: string, lang: Lang): string {
  const query = new URLSearchParams({ token, lang });
  return `${baseUrl.replace(/\/+$/, '')}${ROUTES.showVerificationPage.path}?${query}`;
}

/**
 * The API's base URL as the client reached it, for when PUBLIC_BASE_URL is unset: the host,
 * then whatever stands in front of the route in the path the client sent. On the execute-api
 * domain that is `/<stage>`; behind a custom domain it is the base path mapping (or nothing),
 * never the stage. `requestContext.path` is that full path and `resource` the declared route.
 */
export function requestBaseUrl(event: Pick<APIGatewayProxyEvent, 'resource' | 'requestContext' | 'headers'>): string {
  const { path, stage } = event.requestContext;
  const host = event.requestContext.domainName ?? headerValue(event, 'host') ?? '';
  const route = event.resource === '/' ? '' : event.resource;
  const sent = path.replace(/\/+$/, '');
  const prefix = sent.endsWith(route) ? sent.slice(0, sent.length - route.length) : `/${stage}`;
  return `https://${host}${prefix}`;
}
