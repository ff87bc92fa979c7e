import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';

/**
 * Timeouts and retries of every AWS call, in one place. Each call has a cap on its total time,
 * retries included; the request's time budget (src/domain/time-budget.ts) can only shorten it.
 *
 * - `connectMs`: a TCP connection to a regional endpoint takes milliseconds; a second means the
 *   endpoint is unreachable.
 * - `callMs`: everything a call may take. DynamoDB answers in milliseconds and SES in a few
 *   hundred, so the caps are far above normal and far below the functions' timeouts (IAM 10 s,
 *   RPC 18 s), and a stalled dependency is answered for in under 5 s: a resend with SES stalled
 *   spends one DynamoDB write, the SES cap and the write that takes the send back.
 * - `attemptMs`: the SDK's own per-attempt timeout, set just above `callMs` as a backstop. A
 *   call that gets no answer is therefore abandoned, never retried: a second SendEmail could
 *   mail twice, and a second conditional write would be refused by the first if it landed.
 * - `attempts`: retries are for quick refusals (throttling, 5xx, a refused connection), with the
 *   SDK's backoff, inside `callMs`. SES uses the adaptive mode, whose client-side rate limiter
 *   slows every later SendEmail of the function instance down after a `Throttling` answer.
 */
export const AWS_CALL_LIMITS = {
  dynamodb: { connectMs: 1_000, callMs: 2_500, attempts: 3 },
  ses: { connectMs: 1_000, callMs: 3_000, attempts: 3 },
  /** Read once per cold start, all secrets in parallel. */
  secretsManager: { connectMs: 1_000, callMs: 3_000, attempts: 3 },
} as const;

export type AwsService = keyof typeof AWS_CALL_LIMITS;

/** Above `callMs`: the SDK never times an attempt out before the call's own cap does. */
const ATTEMPT_BACKSTOP_MS = 500;

function requestHandler(service: AwsService) {
  const limits = AWS_CALL_LIMITS[service];
  const attemptMs = limits.callMs + ATTEMPT_BACKSTOP_MS;
  return {
    connectionTimeout: limits.connectMs,
    requestTimeout: attemptMs,
    // Without this the SDK only logs a warning when requestTimeout passes.
    throwOnRequestTimeout: true,
    // A response that starts and then stalls mid-body.
    socketTimeout: attemptMs,
  };
}

export interface AwsClientOptions {
  readonly region: string;
  /** A local stand-in (DynamoDB Local, the local SES); unset in AWS. */
  readonly endpoint?: string;
}

export function dynamoDbClient(options: AwsClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: AWS_CALL_LIMITS.dynamodb.attempts,
    requestHandler: requestHandler('dynamodb'),
  });
}

export function sesClient(options: AwsClientOptions): SESClient {
  return new SESClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: AWS_CALL_LIMITS.ses.attempts,
    retryMode: 'adaptive',
    requestHandler: requestHandler('ses'),
  });
}
