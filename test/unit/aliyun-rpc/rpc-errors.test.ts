import * as errors from '../../../src/aliyun-rpc/rpc-errors.js';
import { RPC_ERROR_CATALOGUE, RpcRequestError, type RpcErrorCode } from '../../../src/aliyun-rpc/rpc-errors.js';

describe('rpc errors', () => {
  test.each<[string, () => RpcRequestError, RpcErrorCode, number]>([
    ['missingParameter', () => errors.missingParameter('Email'), 'MissingParameter', 400],
    ['missingEmail', () => errors.missingEmail(), 'MissingEmail', 400],
    ['invalidParameter', () => errors.invalidParameter('Lang'), 'InvalidParameter', 400],
    ['incompleteSignature', () => errors.incompleteSignature(), 'IncompleteSignature', 400],
    ['signatureDoesNotMatch', () => errors.signatureDoesNotMatch('x'), 'SignatureDoesNotMatch', 400],
    ['invalidAccessKeyIdNotFound', () => errors.invalidAccessKeyIdNotFound(), 'InvalidAccessKeyId.NotFound', 404],
    ['invalidTimeStampFormat', () => errors.invalidTimeStampFormat(), 'InvalidTimeStamp.Format', 400],
    ['invalidTimeStampExpired', () => errors.invalidTimeStampExpired(), 'InvalidTimeStamp.Expired', 400],
    ['signatureNonceUsed', () => errors.signatureNonceUsed(), 'SignatureNonceUsed', 400],
    ['invalidActionNotFound', () => errors.invalidActionNotFound(), 'InvalidAction.NotFound', 404],
    ['invalidVersion', () => errors.invalidVersion(), 'InvalidVersion', 400],
    ['Throttling.User', () => new RpcRequestError('Throttling.User'), 'Throttling.User', 400],
    ['unsupportedHttpMethod', () => errors.unsupportedHttpMethod(), 'UnsupportedHTTPMethod', 400],
    ['internalError', () => errors.internalError(new Error('db down')), 'InternalError', 500],
    ['ServiceUnavailable', () => new RpcRequestError('ServiceUnavailable'), 'ServiceUnavailable', 503],
  ])('%s has Aliyun code %s and status %i', (_, make, code, status) => {
    const error = make();
    expect(error).toBeInstanceOf(RpcRequestError);
    expect(error).toBeInstanceOf(Error);
    expect(errors.isRpcRequestError(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(status);
    expect(RPC_ERROR_CATALOGUE[code].httpStatus).toBe(status);
  });

  test('uses Aliyun wording where the brief fixes it', () => {
    expect(errors.missingParameter('X').message).toBe(
      'The input parameter "X" that is mandatory for processing this request is not supplied.',
    );
    expect(errors.invalidAccessKeyIdNotFound().message).toBe('Specified access key is not found.');
    expect(errors.signatureNonceUsed().message).toBe('Specified signature nonce was used already.');
    expect(errors.signatureDoesNotMatch('GET&%2F&A').message).toBe(
      'Specified signature is not matched with our calculation. server string to sign is:GET&%2F&A',
    );
  });

  test('keeps the cause of an internal error for logs, not for the message', () => {
    const cause = new Error('db down');
    const error = errors.internalError(cause);
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('db down');
    expect(errors.isRpcRequestError(cause)).toBe(false);
  });
});
