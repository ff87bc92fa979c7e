import type { QuotaPolicy } from './domain/quota.js';
import type { LogLevel } from './observability/request-log.js';
import { FALLBACK_REGION, readSetting, type Env } from './settings.js';

export { ConfigError } from './settings.js';

/** What the handlers, the local stack and the CLI read from the environment (see settings.ts). */
export interface ServiceConfig {
  readonly tableName: string;
  readonly mailFrom: string;
  readonly region: string;
  /** Local endpoints; unset in AWS. */
  readonly dynamodbEndpoint?: string;
  readonly sesEndpoint?: string;
  readonly quota: QuotaPolicy;
  readonly otpTtlSeconds: number;
  readonly maxGuesses: number;
  readonly tokenTtlSeconds: number;
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  /** How long a verified record is kept, so resend keeps refusing it. */
  readonly verifiedRetentionSeconds: number;
  readonly exposeErrorTraces: boolean;
  readonly logLevel: LogLevel;
  /** Base URL the mailed link points at; when unset, taken from the request. */
  readonly publicBaseUrl?: string;
  readonly rpc: {
    readonly maxEmails: number;
    /** Query string or form body, in bytes; larger requests are refused before any parsing. */
    readonly maxRequestBytes: number;
    readonly maxVerificationsPerDay: number;
    readonly maxPerClientIpPerHour: number;
    readonly batchConcurrency: number;
  };
}

/** Reads and checks every setting; a bad one throws ConfigError naming it. */
export function loadConfig(env: Env = process.env): ServiceConfig {
  // Inside a deployed function (not under `sam local`) some defaults differ: see settings.ts.
  const deployed = env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_SAM_LOCAL !== 'true';
  const read = <N extends Parameters<typeof readSetting>[1]>(name: N) => readSetting(env, name, deployed);
  return {
    tableName: read('TABLE_NAME'),
    mailFrom: read('MAIL_FROM'),
    region: env.AWS_REGION || FALLBACK_REGION,
    dynamodbEndpoint: read('DYNAMODB_ENDPOINT'),
    sesEndpoint: read('SES_ENDPOINT'),
    quota: {
      cooldownSeconds: read('RESEND_COOLDOWN_SECONDS'),
      maxPerWindow: read('RESEND_MAX_PER_WINDOW'),
      windowSeconds: read('RESEND_WINDOW_SECONDS'),
    },
    otpTtlSeconds: read('OTP_TTL_SECONDS'),
    maxGuesses: read('OTP_MAX_GUESSES'),
    tokenTtlSeconds: read('TOKEN_TTL_SECONDS'),
    tokenIssuer: read('TOKEN_ISSUER'),
    tokenAudience: read('TOKEN_AUDIENCE'),
    verifiedRetentionSeconds: read('VERIFIED_RETENTION_SECONDS'),
    exposeErrorTraces: read('EXPOSE_ERROR_TRACES'),
    logLevel: read('LOG_LEVEL'),
    publicBaseUrl: read('PUBLIC_BASE_URL'),
    rpc: {
      maxEmails: read('RPC_MAX_EMAILS'),
      maxRequestBytes: read('RPC_MAX_REQUEST_BYTES'),
      maxVerificationsPerDay: read('RPC_MAX_VERIFICATIONS_PER_DAY'),
      maxPerClientIpPerHour: read('RPC_MAX_PER_CLIENT_IP_PER_HOUR'),
      batchConcurrency: read('RPC_BATCH_CONCURRENCY'),
    },
  };
}
