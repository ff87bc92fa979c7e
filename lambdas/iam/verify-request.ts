import type { APIGatewayProxyEvent } from 'aws-lambda';
import { headerValue } from '../http/headers.js';
import { RequestValidationError, UnsupportedMediaTypeError } from './iam-errors.js';

const MAX_BODY_LENGTH = 1024;

/** `application/json`, or a JSON subtype (`application/problem+json`), with any parameters. */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/;

/**
 * `{"code": "123456"}`, or a request error naming what is wrong with it. A body that is not
 * declared JSON is refused (415) before it is read: a form post or a text body is a client
 * that has not read the API, and guessing at it would make two spellings of one request.
 */
export function verificationCodeFromBody(event: APIGatewayProxyEvent): string {
  if (event.body) {
    const mediaType = headerValue(event, 'content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new UnsupportedMediaTypeError();
  }
  if (event.body && event.body.length > MAX_BODY_LENGTH * 2) throw invalid('max', '', 'The request body is too large.');
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (!raw) throw invalid('required', '', 'This field is required.');
  if (raw.length > MAX_BODY_LENGTH) throw invalid('max', '', 'The request body is too large.');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw invalid('json', '', 'The request body must be a JSON object.');
  }
  const code = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).code : undefined;
  if (code === undefined || code === '') throw invalid('required', code ?? '', 'This field is required.');
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) {
    // Shown back short: a number or a string as it is, anything else by its type.
    const shown = typeof code === 'string' ? code.slice(0, 16) : typeof code === 'number' || typeof code === 'boolean' ? code : typeof code;
    throw invalid('len', shown, 'The code is 6 digits.');
  }
  return code;
}

function invalid(expression: string, originalValue: unknown, reason: string): RequestValidationError {
  return new RequestValidationError([{ field: 'code', expression, originalValue, reason }]);
}
