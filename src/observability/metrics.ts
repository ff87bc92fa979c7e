import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RpcErrorCode } from '../aliyun-rpc/rpc-errors.js';
import type { FailureStage, SendLimitError } from '../domain/errors.js';

/**
 * The service's own CloudWatch metrics, declared once: the handlers count them, the stack's
 * alarms and dashboard read them. They go out in CloudWatch's embedded metric format (EMF), a
 * JSON line in the function's log that CloudWatch turns into metrics, printed by Powertools.
 *
 * Every metric carries the dimensions `service` and `api` (`iam` or `rpc`). A metric with a
 * detail (the failed stage, the wire code of a rejection, ...) is published under two dimension
 * sets at once, `service, api` and `service, api, <detail>`: alarms read the total, the
 * dashboard the breakdown. Detail values come from closed sets typed below; an address, a code,
 * a token or an IP can never be one.
 */
export const METRICS_NAMESPACE = 'EmailVerification';
export const METRICS_SERVICE = 'email-verification';
/** The dimension every metric carries besides `service`. */
export const API_DIMENSION = 'api';
/** The cold-start metric Powertools publishes on each function's first request. */
export const COLD_START_METRIC = 'ColdStart';

/** The IAM API's rejection codes (`{"group":"user","code":...}`) and the RPC API's. */
type TokenRejectionCode = '406' | '407' | Extract<RpcErrorCode, 'InvalidToken' | 'InvalidToken.Expired'>;
export type AuthRejectionCode = Extract<
  RpcErrorCode,
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidAccessKeyId.NotFound'
  | 'InvalidTimeStamp.Format'
  | 'InvalidTimeStamp.Expired'
  | 'SignatureNonceUsed'
>;

/** Each metric's detail dimension, with the values it may take. */
interface MetricDetails {
  /** A mail accepted by SES (IAM resend, RPC Submit and Resend). */
  MailsSent: undefined;
  /** A send refused by a limit: the address's quota, or the RPC account's or client IP's. */
  QuotaRefusals: { limit: 'address' | SendLimitError['limit'] };
  /** A mail that was due and not sent, by the stage that failed (nothing was charged). */
  SendFailures: { stage: FailureStage };
  /** An address verified, by a mailed code (IAM) or the mailed link (RPC page, VerifyEmail). */
  Verifications: { method: 'code' | 'link' };
  /** A verification token refused: IAM 406 / 407, RPC and page InvalidToken(.Expired). */
  TokenRejections: { errorCode: TokenRejectionCode };
  /** A signed RPC request refused before any work, by Aliyun code. */
  AuthRejections: { errorCode: AuthRejectionCode };
  /** An IAM verify with a wrong code (408), no live code (409) or no guesses left (410). */
  CodeRejections: { errorCode: '408' | '409' | '410' };
}

export type MetricName = keyof MetricDetails;

/** Every metric name, for the stack and the tests. */
export const METRIC_NAMES: readonly MetricName[] = [
  'MailsSent',
  'QuotaRefusals',
  'SendFailures',
  'Verifications',
  'TokenRejections',
  'AuthRejections',
  'CodeRejections',
];

/** The detail dimension of each metric that has one. */
export const METRIC_DETAIL_DIMENSIONS: Readonly<Partial<Record<MetricName, string>>> = {
  QuotaRefusals: 'limit',
  SendFailures: 'stage',
  Verifications: 'method',
  TokenRejections: 'errorCode',
  AuthRejections: 'errorCode',
  CodeRejections: 'errorCode',
};

type DetailOf<N extends MetricName> = MetricDetails[N] extends undefined ? [] : [detail: MetricDetails[N]];

/**
 * The counts of one request, published together when it ends. Counting per request and
 * publishing in one synchronous step keeps concurrent requests in one process (the local
 * bridge) from mixing their dimensions in the shared Powertools instance.
 */
export class RequestMetrics {
  readonly #counts = new Map<string, { name: MetricName; detail?: [string, string]; count: number }>();

  count<N extends MetricName>(name: N, ...[detail]: DetailOf<N>): void {
    const pair = detail ? (Object.entries(detail as Record<string, string>)[0] as [string, string]) : undefined;
    const key = pair ? `${name}\u0000${pair[0]}\u0000${pair[1]}` : name;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else this.#counts.set(key, { name, ...(pair ? { detail: pair } : {}), count: 1 });
  }

  /** How many of `name` this request counted, all details together. */
  total(name: MetricName): number {
    let sum = 0;
    for (const entry of this.#counts.values()) if (entry.name === name) sum += entry.count;
    return sum;
  }

  /** Prints this request's EMF lines (and the cold start, once) through `metrics`, then forgets them. */
  publish(metrics: Metrics): void {
    metrics.captureColdStartMetric();
    for (const { name, detail, count } of this.#counts.values()) {
      if (!detail) {
        metrics.addMetric(name, MetricUnit.Count, count);
        continue;
      }
      // One line per detail value, published under `service, api, <detail>` and, through the
      // empty dimension set, under `service, api` alone.
      const single = metrics.singleMetric();
      single.addDimension(detail[0], detail[1]);
      single.addDimensions({});
      single.addMetric(name, MetricUnit.Count, count);
    }
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    this.#counts.clear();
  }
}

/**
 * The Powertools instance of one function. EMF goes to stdout, as Lambda expects; setting
 * `POWERTOOLS_METRICS_DISABLED=true` silences it (the test harness does, except where a test
 * reads it).
 */
export function createServiceMetrics(api: 'iam' | 'rpc'): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRICS_SERVICE,
    defaultDimensions: { [API_DIMENSION]: api },
  });
}
