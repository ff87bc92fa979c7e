import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidTokenError } from '../../src/domain/errors.js';
import { headerValue } from '../http/headers.js';

/** The token of an `Authorization: Bearer <token>` header; anything else is an invalid token. */
export function bearerToken(event: APIGatewayProxyEvent): string {
  const values = Object.entries(event.multiValueHeaders ?? {})
    .filter(([name]) => name.toLowerCase() === 'authorization')
    .flatMap(([, list]) => list ?? []);
  const single = headerValue(event, 'authorization');
  const all = values.length > 0 ? values : single !== undefined ? [single] : [];
  if (all.length !== 1) throw new InvalidTokenError(all.length === 0 ? 'missing Authorization header' : 'repeated Authorization header');
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/i.exec(all[0]!.trim());
  if (!match) throw new InvalidTokenError('not a bearer token');
  return match[1]!;
}
