import { RpcRequestError } from '../../src/aliyun-rpc/index.js';
import {
  AlreadyVerifiedError,
  ExpiredTokenError,
  InvalidTokenError,
  VerificationNotFoundError,
} from '../../src/domain/errors.js';

export function emailNotSubmitted(): RpcRequestError {
  return new RpcRequestError('EmailNotSubmitted');
}

/** The one place a domain failure of a single-address action becomes a request-level error. */
export function rpcErrorOf(error: unknown): unknown {
  if (error instanceof InvalidTokenError) return new RpcRequestError('InvalidToken');
  if (error instanceof ExpiredTokenError) return new RpcRequestError('InvalidToken.Expired');
  if (error instanceof AlreadyVerifiedError) return new RpcRequestError('EmailAlreadyVerified');
  if (error instanceof VerificationNotFoundError) return emailNotSubmitted();
  return error;
}
