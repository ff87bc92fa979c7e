import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  AlreadyVerifiedError,
  CodeExpiredError,
  DomainError,
  ExpiredTokenError,
  InvalidAddressError,
  InvalidTokenError,
  QuotaExceededError,
  StageFailedError,
  TooManyAttemptsError,
  VerificationNotFoundError,
  WrongCodeError,
  type FailureStage,
} from '../../src/domain/errors.js';
import { jsonResponse } from '../http/json-response.js';

/** The IAM API's error body (`ErrStatusMsg` in openapi/iam-api.yaml). */
export interface ErrStatusMsg {
  group: string;
  code: number;
  message?: string;
  traces?: string[];
  validationDetail?: ValidationDetail[];
}

export interface ValidationDetail {
  field: string;
  expression: string;
  argument?: string;
  originalValue?: unknown;
  reason: string;
}

/** A request the handler cannot even parse: answered as group `request`. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  constructor(readonly details: ValidationDetail[]) {
    super(details.map((detail) => `${detail.field}: ${detail.reason}`).join('; '));
  }
}

/** A verify body not declared as JSON. */
export class UnsupportedMediaTypeError extends Error {
  override name = 'UnsupportedMediaTypeError';
  constructor() {
    super('The request body must be application/json.');
  }
}

/** Also the body of the stack's gateway response for a request without `Authorization`. */
export const INVALID_TOKEN_BODY: ErrStatusMsg = { group: 'user', code: 406, message: 'Invalid email verification token.' };

const STAGE_ERRORS: Record<FailureStage, ErrStatusMsg> = {
  'read-verification': { group: 'user', code: 401, message: 'Get user email verification data encountered error.' },
  'read-quota-state': { group: 'user', code: 402, message: 'Get user email verification data TTL encountered error.' },
  'save-verification': { group: 'user', code: 403, message: 'Save user email verification data encountered error.' },
  'create-otp': { group: 'user', code: 404, message: 'Create OTP code encountered error.' },
  'create-token': { group: 'user', code: 405, message: 'Create email verification token encountered error.' },
  'send-mail': { group: 'email', code: 0, message: 'Failed to send email.' },
};

export interface ErrorMappingOptions {
  readonly exposeTraces: boolean;
  readonly requestId: string;
}

/** The one place where an IAM request's failure becomes an HTTP response. */
export function iamErrorResponse(error: unknown, options: ErrorMappingOptions): APIGatewayProxyResult {
  if (error instanceof RequestValidationError) {
    return jsonResponse(400, { group: 'request', code: 0, message: 'Invalid request parameters.', validationDetail: error.details });
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return jsonResponse(415, { group: 'request', code: 415, message: error.message });
  }
  if (error instanceof DomainError) {
    const mapped = mapDomainError(error, options);
    if (mapped) return mapped;
  }
  const traces = options.exposeTraces ? [String(error instanceof Error ? error.message : error)] : [options.requestId];
  return jsonResponse(500, { group: 'server', code: 0, message: 'Internal server error.', traces });
}

function mapDomainError(error: DomainError, options: ErrorMappingOptions): APIGatewayProxyResult | undefined {
  // A token for an address that is gone or already verified is no longer a valid token.
  if (
    error instanceof InvalidTokenError ||
    error instanceof AlreadyVerifiedError ||
    error instanceof VerificationNotFoundError ||
    error instanceof InvalidAddressError
  ) {
    return jsonResponse(401, INVALID_TOKEN_BODY);
  }
  if (error instanceof ExpiredTokenError) {
    return jsonResponse(401, { group: 'user', code: 407, message: 'Expired email verification token.' });
  }
  if (error instanceof QuotaExceededError) {
    return jsonResponse(
      429,
      { group: 'user', code: 400, message: 'Too many email verification code resend attempts.' },
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  if (error instanceof WrongCodeError) {
    return jsonResponse(400, { group: 'user', code: 408, message: 'Invalid email verification code.' });
  }
  if (error instanceof CodeExpiredError) {
    return jsonResponse(400, { group: 'user', code: 409, message: 'Expired email verification code.' });
  }
  if (error instanceof TooManyAttemptsError) {
    return jsonResponse(429, { group: 'user', code: 410, message: 'Too many wrong email verification codes.' });
  }
  if (error instanceof StageFailedError) {
    const traces = options.exposeTraces ? causeChain(error.cause) : [options.requestId];
    return jsonResponse(500, { ...STAGE_ERRORS[error.stage], traces });
  }
  return undefined;
}

function causeChain(cause: unknown): string[] {
  const messages: string[] = [];
  for (let current = cause; current instanceof Error && messages.length < 5; current = current.cause) {
    messages.push(current.message);
  }
  return messages.length > 0 ? messages : [String(cause)];
}
