import type { APIGatewayProxyResult } from 'aws-lambda';
import type { RequestMetrics } from '../../src/observability/metrics.js';
import type { ErrStatusMsg } from './iam-errors.js';

/**
 * Counts a refused IAM request by the code its answer carries, so the metric says what the
 * client was told: 406 / 407 for a token, 408–410 for a code. Quota refusals and failed sends
 * are counted where the send ran (countedSend).
 */
export function countIamRejection(metrics: RequestMetrics, response: APIGatewayProxyResult): void {
  if (response.statusCode !== 401 && response.statusCode !== 400 && response.statusCode !== 429) return;
  const { group, code } = JSON.parse(response.body) as ErrStatusMsg;
  if (group !== 'user') return;
  const errorCode = String(code);
  if (errorCode === '406' || errorCode === '407') metrics.count('TokenRejections', { errorCode });
  else if (errorCode === '408' || errorCode === '409' || errorCode === '410') metrics.count('CodeRejections', { errorCode });
}
