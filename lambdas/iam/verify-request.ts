import type { APIGatewayProxyEvent } from 'aws-lambda';
import { RequestValidationError } from './iam-errors.js';

const MAX_BODY_LENGTH = 1024;

/**
 * `{"code": "123456"}`, or a request error naming what is wrong with it. A JSON number of six
 * digits is the same code (`{"code": 123456}`); a shorter one cannot be told from a code with
 * leading zeros, so it is refused with a message that says to send a string.
 */
export function verificationCodeFromBody(event: APIGatewayProxyEvent): string {
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
  if (typeof code === 'number') {
    if (Number.isInteger(code) && code >= 100_000 && code <= 999_999) return String(code);
    throw invalid(
      'type',
      code,
      Number.isInteger(code) && code >= 0 && code < 100_000
        ? 'The code is 6 digits and this number has fewer: send the code as a string, such as "012345", so leading zeros are kept.'
        : 'The code is 6 digits, sent as a string such as "012345".',
    );
  }
  if (typeof code !== 'string') throw invalid('type', code, 'The code is 6 digits, sent as a string such as "012345".');
  if (!/^\d{6}$/.test(code)) throw invalid('len', code.slice(0, 16), 'The code is 6 digits.');
  return code;
}

function invalid(expression: string, originalValue: unknown, reason: string): RequestValidationError {
  return new RequestValidationError([{ field: 'code', expression, originalValue, reason }]);
}
