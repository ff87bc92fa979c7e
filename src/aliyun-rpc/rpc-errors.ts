/**
 * Request-level failures of the RPC endpoint, with the codes, HTTP statuses and wording of
 * Aliyun's own gateway, so existing clients and their users recognise them.
 */

export type RpcErrorCode =
  | 'MissingParameter'
  | 'MissingEmail'
  | 'InvalidParameter'
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidAccessKeyId.NotFound'
  | 'InvalidTimeStamp.Format'
  | 'InvalidTimeStamp.Expired'
  | 'SignatureNonceUsed'
  | 'InvalidAction.NotFound'
  | 'InvalidVersion'
  | 'Throttling.User'
  | 'UnsupportedHTTPMethod'
  | 'RequestTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  // This service's own, for the verification family's single-address actions.
  | 'InvalidToken'
  | 'InvalidToken.Expired'
  | 'EmailAlreadyVerified'
  | 'EmailNotSubmitted';

export interface RpcErrorDefinition {
  readonly httpStatus: number;
  /** Aliyun's generic message; factories refine it where Aliyun names the culprit. */
  readonly message: string;
}

export const RPC_ERROR_CATALOGUE: Readonly<Record<RpcErrorCode, RpcErrorDefinition>> = {
  MissingParameter: {
    httpStatus: 400,
    message: 'The input parameter that is mandatory for processing this request is not supplied.',
  },
  MissingEmail: {
    httpStatus: 400,
    message: 'The input parameter "Email" that is mandatory for processing this request is not supplied.',
  },
  InvalidParameter: { httpStatus: 400, message: 'The specified parameter is not valid.' },
  IncompleteSignature: { httpStatus: 400, message: 'The request signature does not conform to Aliyun standards.' },
  SignatureDoesNotMatch: { httpStatus: 400, message: 'Specified signature is not matched with our calculation.' },
  'InvalidAccessKeyId.NotFound': { httpStatus: 404, message: 'Specified access key is not found.' },
  'InvalidTimeStamp.Format': {
    httpStatus: 400,
    message: 'Specified time stamp or date value is not well formatted.',
  },
  'InvalidTimeStamp.Expired': { httpStatus: 400, message: 'Specified time stamp or date value is expired.' },
  SignatureNonceUsed: { httpStatus: 400, message: 'Specified signature nonce was used already.' },
  'InvalidAction.NotFound': {
    httpStatus: 404,
    message: 'Specified api is not found, please check your url and method.',
  },
  InvalidVersion: { httpStatus: 400, message: 'Specified parameter Version is not valid.' },
  'Throttling.User': { httpStatus: 400, message: 'Request was denied due to user flow control.' },
  UnsupportedHTTPMethod: { httpStatus: 400, message: 'This http method is not supported.' },
  // Aliyun's gateway answers an oversized request 413; the code is named like its siblings.
  RequestTooLarge: { httpStatus: 413, message: 'The request is larger than this API accepts.' },
  InternalError: {
    httpStatus: 500,
    message: 'The request processing has failed due to some unknown error, exception or failure.',
  },
  ServiceUnavailable: { httpStatus: 503, message: 'The request has failed due to a temporary failure of the server.' },
  InvalidToken: { httpStatus: 400, message: 'The specified verification token is invalid.' },
  'InvalidToken.Expired': { httpStatus: 400, message: 'The specified verification token has expired.' },
  EmailAlreadyVerified: { httpStatus: 400, message: 'The email address has already been verified.' },
  EmailNotSubmitted: { httpStatus: 404, message: 'The email address has not been submitted for verification.' },
};

export interface RpcRequestErrorOptions {
  /** Defaults to the catalogue's message for the code. */
  readonly message?: string;
  /** Where a client can read how to fix it; rendered as `Recommend`. */
  readonly recommend?: string;
  readonly cause?: unknown;
}

export class RpcRequestError extends Error {
  readonly httpStatus: number;
  readonly recommend: string | undefined;

  constructor(
    readonly code: RpcErrorCode,
    options: RpcRequestErrorOptions = {},
  ) {
    super(
      options.message ?? RPC_ERROR_CATALOGUE[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'RpcRequestError';
    this.httpStatus = RPC_ERROR_CATALOGUE[code].httpStatus;
    this.recommend = options.recommend;
  }
}

export function isRpcRequestError(error: unknown): error is RpcRequestError {
  return error instanceof RpcRequestError;
}

export function missingParameter(name: string): RpcRequestError {
  return new RpcRequestError('MissingParameter', {
    message: `The input parameter "${shown(name)}" that is mandatory for processing this request is not supplied.`,
  });
}

/** Longest piece of a request (a parameter name) an error message repeats. */
const MAX_SHOWN_CHARS = 64;
/** Longest string to sign an error message repeats: enough to compare it with the client's. */
export const MAX_SHOWN_STRING_TO_SIGN = 1_024;

/**
 * A client-supplied name as an error message may show it: printable, and short, so that no
 * answer grows with what was sent.
 */
export function shown(text: string, max = MAX_SHOWN_CHARS): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length <= max ? printable : `${printable.slice(0, max)}...`;
}

export function missingEmail(): RpcRequestError {
  return new RpcRequestError('MissingEmail');
}

/** `detail` says what is wrong with the value, for parameters whose rule is not obvious. */
export function invalidParameter(name: string, detail?: string): RpcRequestError {
  const base = `The specified parameter "${shown(name)}" is not valid.`;
  return new RpcRequestError('InvalidParameter', { message: detail ? `${base} ${detail}` : base });
}

export function incompleteSignature(detail?: string): RpcRequestError {
  const base = RPC_ERROR_CATALOGUE.IncompleteSignature.message;
  return new RpcRequestError('IncompleteSignature', { message: detail ? `${base} ${detail}` : base });
}

/**
 * Aliyun returns the string it signed so a client author can diff it against their own;
 * it contains only what the client sent, never the secret.
 */
export function signatureDoesNotMatch(serverStringToSign: string): RpcRequestError {
  const omitted = serverStringToSign.length - MAX_SHOWN_STRING_TO_SIGN;
  const echoed =
    omitted > 0
      ? `${serverStringToSign.slice(0, MAX_SHOWN_STRING_TO_SIGN)}...(${omitted} more characters)`
      : serverStringToSign;
  return new RpcRequestError('SignatureDoesNotMatch', {
    message: `${RPC_ERROR_CATALOGUE.SignatureDoesNotMatch.message} server string to sign is:${echoed}`,
  });
}

/** A body that does not hash to the signed `x-acs-content-sha256`: the signature cannot hold. */
export function contentHashDoesNotMatch(): RpcRequestError {
  return new RpcRequestError('SignatureDoesNotMatch', {
    message: `${RPC_ERROR_CATALOGUE.SignatureDoesNotMatch.message} The x-acs-content-sha256 header does not match the SHA-256 of the request body.`,
  });
}

export function invalidAccessKeyIdNotFound(): RpcRequestError {
  return new RpcRequestError('InvalidAccessKeyId.NotFound');
}

export function invalidTimeStampFormat(): RpcRequestError {
  return new RpcRequestError('InvalidTimeStamp.Format');
}

export function invalidTimeStampExpired(): RpcRequestError {
  return new RpcRequestError('InvalidTimeStamp.Expired');
}

export function signatureNonceUsed(): RpcRequestError {
  return new RpcRequestError('SignatureNonceUsed');
}

export function invalidActionNotFound(): RpcRequestError {
  return new RpcRequestError('InvalidAction.NotFound');
}

export function invalidVersion(): RpcRequestError {
  return new RpcRequestError('InvalidVersion');
}

export function requestTooLarge(maxBytes: number): RpcRequestError {
  return new RpcRequestError('RequestTooLarge', {
    message: `The request is larger than the ${maxBytes} bytes this API accepts in its query string or form body.`,
  });
}

export function unsupportedHttpMethod(): RpcRequestError {
  return new RpcRequestError('UnsupportedHTTPMethod');
}

/** `cause` is kept for logs only; the client sees Aliyun's generic wording. */
export function internalError(cause?: unknown): RpcRequestError {
  return new RpcRequestError('InternalError', { cause });
}
