import type { RpcErrorCode } from '../../src/aliyun-rpc/index.js';
import type { AuthRejectionCode, RequestMetrics } from '../../src/observability/metrics.js';

const AUTH_REJECTIONS: ReadonlySet<RpcErrorCode> = new Set<AuthRejectionCode>([
  'IncompleteSignature',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId.NotFound',
  'InvalidTimeStamp.Format',
  'InvalidTimeStamp.Expired',
  'SignatureNonceUsed',
]);

/** Counts a refused RPC request by its Aliyun code: a signature or access key, or a link token. */
export function countRpcRejection(metrics: RequestMetrics, code: RpcErrorCode): void {
  if (AUTH_REJECTIONS.has(code)) metrics.count('AuthRejections', { errorCode: code as AuthRejectionCode });
  else if (code === 'InvalidToken' || code === 'InvalidToken.Expired') metrics.count('TokenRejections', { errorCode: code });
}
