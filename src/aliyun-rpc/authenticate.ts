import {
  contentHashDoesNotMatch,
  incompleteSignature,
  invalidAccessKeyIdNotFound,
  invalidParameter,
  missingParameter,
  shown,
  signatureDoesNotMatch,
} from './rpc-errors.js';
import type { RpcRequest } from './rpc-request.js';
import {
  assertTimestampFresh,
  TIMESTAMP_TOLERANCE_SECONDS,
  nonceExpiresAt,
  parseRpcTimestamp,
} from './rpc-timestamp.js';
import { ACS3_REQUIRED_SIGNED_HEADERS, sha256Hex, verifySignatureAcs3 } from './signature-acs3.js';
import type { SignatureCheck } from './signature-check.js';
import { V1_SIGNATURE_METHOD, V1_SIGNATURE_VERSION, verifySignatureV1 } from './signature-v1.js';

export interface AuthenticateOptions {
  /** The secret of an access key, or undefined when there is no such (active) key. */
  readonly lookupSecret: (accessKeyId: string) => string | undefined | Promise<string | undefined>;
  readonly now: Date;
  /** How far the request's timestamp may be from `now`; Aliyun's 15 minutes when omitted. */
  readonly toleranceSeconds?: number;
}

/**
 * Who signed the request. The nonce is not yet known to be fresh: the caller must record it
 * per access key (atomically, until `nonceExpiresAt`) and answer `SignatureNonceUsed` on reuse.
 */
export interface AuthenticatedCaller {
  readonly accessKeyId: string;
  readonly nonce: string;
  readonly timestamp: Date;
  /** After this, the timestamp check alone refuses a replay and the nonce can be forgotten. */
  readonly nonceExpiresAt: Date;
}

/**
 * Longest SignatureNonce accepted. Clients send a UUID (36 characters); the bound keeps a nonce's
 * key well inside DynamoDB's 2 KB partition key, whatever characters it is made of.
 */
export const MAX_NONCE_LENGTH = 400;

/** v1 common parameters, in the order their absence is reported. */
const V1_REQUIRED_PARAMS = [
  'AccessKeyId',
  'Action',
  'Version',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;

/** ACS3 headers, in the order their absence is reported. */
const ACS3_REQUIRED_HEADERS = [
  'x-acs-action',
  'x-acs-version',
  'x-acs-signature-nonce',
  'x-acs-date',
  'x-acs-content-sha256',
  'host',
] as const;

/**
 * Checks, cheapest and least revealing first: required parameters, timestamp format, timestamp
 * freshness, access key, then signature. Throws the matching `RpcRequestError`.
 */
export async function authenticateRpcRequest(
  request: RpcRequest,
  options: AuthenticateOptions,
): Promise<AuthenticatedCaller> {
  const toleranceSeconds = options.toleranceSeconds ?? TIMESTAMP_TOLERANCE_SECONDS;
  const claim = request.authScheme === 'acs3' ? readAcs3Claim(request) : readV1Claim(request);
  if (claim.nonce.length > MAX_NONCE_LENGTH) {
    throw invalidParameter('SignatureNonce', `It must be at most ${MAX_NONCE_LENGTH} characters long.`);
  }

  const timestamp = parseRpcTimestamp(claim.timestamp);
  assertTimestampFresh(timestamp, options.now, toleranceSeconds);

  const secret = await options.lookupSecret(claim.accessKeyId);
  // An empty secret would make every signature computable by anyone.
  if (secret === undefined || secret === '') throw invalidAccessKeyIdNotFound();

  const check = claim.verify(secret);
  if (!check.matches) throw signatureDoesNotMatch(check.stringToSign);

  return {
    accessKeyId: claim.accessKeyId,
    nonce: claim.nonce,
    timestamp,
    nonceExpiresAt: nonceExpiresAt(timestamp, toleranceSeconds),
  };
}

interface SignatureClaim {
  readonly accessKeyId: string;
  readonly nonce: string;
  readonly timestamp: string;
  /** Throws for faults found only once the key is known; otherwise says whether it matches. */
  readonly verify: (secret: string) => SignatureCheck;
}

function readV1Claim(request: RpcRequest & { authScheme: 'v1' }): SignatureClaim {
  const { params } = request;
  for (const name of V1_REQUIRED_PARAMS) {
    if (!params[name]) throw missingParameter(name);
  }
  if (params.SignatureMethod !== V1_SIGNATURE_METHOD) {
    throw incompleteSignature(`SignatureMethod must be ${V1_SIGNATURE_METHOD}.`);
  }
  if (params.SignatureVersion !== V1_SIGNATURE_VERSION) {
    throw incompleteSignature(`SignatureVersion must be ${V1_SIGNATURE_VERSION}.`);
  }
  return {
    accessKeyId: params.AccessKeyId ?? '',
    nonce: params.SignatureNonce ?? '',
    timestamp: params.Timestamp ?? '',
    verify: (secret) => verifySignatureV1(secret, request.method, params),
  };
}

function readAcs3Claim(request: RpcRequest & { authScheme: 'acs3' }): SignatureClaim {
  const { headers, authorization } = request;
  for (const name of ACS3_REQUIRED_HEADERS) {
    if (!headers[name]) throw missingParameter(name);
  }
  const signed = new Set(authorization.signedHeaders);
  const mustBeSigned = [
    ...ACS3_REQUIRED_SIGNED_HEADERS,
    ...Object.keys(headers).filter((name) => name.startsWith('x-acs-')),
    // The body is covered by its hash, but how it is read depends on its type.
    ...(request.rawBody.length > 0 ? ['content-type'] : []),
  ];
  const unsigned = mustBeSigned.find((name) => !signed.has(name));
  if (unsigned !== undefined) throw incompleteSignature(`The header "${shown(unsigned)}" must be signed.`);

  const hashedPayload = headers['x-acs-content-sha256'] ?? '';
  return {
    accessKeyId: authorization.accessKeyId,
    nonce: headers['x-acs-signature-nonce'] ?? '',
    timestamp: headers['x-acs-date'] ?? '',
    verify: (secret) => {
      if (hashedPayload.toLowerCase() !== sha256Hex(request.rawBody)) throw contentHashDoesNotMatch();
      const checks = (request.pathCandidates.length > 0 ? request.pathCandidates : ['/']).map((path) =>
        verifySignatureAcs3(
          secret,
          {
            method: request.method,
            path,
            query: request.query,
            headers,
            signedHeaders: authorization.signedHeaders,
            hashedPayload,
          },
          authorization.signature,
        ),
      );
      return checks.find((check) => check.matches) ?? (checks[0] as SignatureCheck);
    },
  };
}
