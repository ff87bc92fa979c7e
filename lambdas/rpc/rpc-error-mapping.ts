import { invalidParameter, RpcRequestError } from '../../src/aliyun-rpc/index.js';
import { TooManyAddressesError } from '../../src/domain/email-list.js';
import {
  AlreadyVerifiedError,
  ExpiredTokenError,
  InvalidAddressError,
  InvalidTokenError,
  QuotaExceededError,
  SendLimitError,
  StageFailedError,
  VerificationNotFoundError,
  VerificationPendingError,
} from '../../src/domain/errors.js';
import type { PageState } from './verification-page.js';

/**
 * The one place where the RPC API meets domain failures: as a request-level error (the
 * single-address actions and the request's own parameters), as a batch entry's list and code,
 * and as what the verification page says.
 */

/** The request-level error a domain failure is answered with; undefined for anything unexpected. */
export function requestErrorOf(error: unknown): RpcRequestError | undefined {
  if (error instanceof InvalidTokenError) return new RpcRequestError('InvalidToken');
  if (error instanceof ExpiredTokenError) return new RpcRequestError('InvalidToken.Expired');
  if (error instanceof AlreadyVerifiedError) return new RpcRequestError('EmailAlreadyVerified');
  if (error instanceof VerificationNotFoundError) return new RpcRequestError('EmailNotSubmitted');
  if (error instanceof TooManyAddressesError) return invalidParameter('Email', error.message);
  if (error instanceof InvalidAddressError) return invalidParameter('Email', 'It must be one valid email address.');
  return undefined;
}

/** The lists of a batch answer. */
export type SendResultList = 'SuccessList' | 'FailList' | 'ExistList';

/** Per-address codes: Aliyun's own (spelled as Aliyun spells them), then this service's. */
export type SendResultCode =
  | 'Success'
  | 'SendTokenQuotaExceeded'
  | 'ParameterIllegall'
  | 'EmailNotSubmitted'
  | 'EmailAlreadyVerified'
  | 'EmailVerificationExists'
  | 'SendEmailFailed'
  | 'DailyLimitExceeded'
  | 'ClientIpLimitExceeded'
  | 'InternalError';

export interface SendResultMapping {
  readonly list: SendResultList;
  readonly code: SendResultCode;
  /** On quota refusals: whole seconds until the address may be mailed again. */
  readonly retryAfterSeconds?: number;
}

/** The list and code of one batch entry, from the error that stopped it (undefined: sent). */
export function sendResultOf(error: unknown): SendResultMapping {
  if (error === undefined) return { list: 'SuccessList', code: 'Success' };
  if (error instanceof VerificationPendingError) return { list: 'ExistList', code: 'EmailVerificationExists' };
  if (error instanceof QuotaExceededError) {
    return { list: 'FailList', code: 'SendTokenQuotaExceeded', retryAfterSeconds: error.retryAfterSeconds };
  }
  return { list: 'FailList', code: failureCodeOf(error) };
}

function failureCodeOf(error: unknown): SendResultCode {
  if (error instanceof InvalidAddressError) return 'ParameterIllegall';
  if (error instanceof VerificationNotFoundError) return 'EmailNotSubmitted';
  if (error instanceof AlreadyVerifiedError) return 'EmailAlreadyVerified';
  if (error instanceof SendLimitError) return error.limit === 'account-daily' ? 'DailyLimitExceeded' : 'ClientIpLimitExceeded';
  if (error instanceof StageFailedError && error.stage === 'send-mail') return 'SendEmailFailed';
  return 'InternalError';
}

/** What the page says for the error a link's verification stopped at. */
export function pageStateOf(error: unknown): PageState {
  if (error instanceof ExpiredTokenError) return 'expired';
  if (error instanceof InvalidTokenError) return 'invalid';
  if (error instanceof AlreadyVerifiedError) return 'already-verified';
  if (error instanceof VerificationNotFoundError) return 'not-found';
  return 'unavailable';
}
