import type { QuotaPolicy } from './domain/quota.js';
import { parseSender, SenderError, type Sender } from './domain/sender.js';
import type { LogLevel } from './observability/logger.js';
import { ConfigError, FALLBACK_REGION, readSetting, type Env } from './settings.js';

export { ConfigError } from './settings.js';

/** What the handlers, the local stack and the CLI read from the environment (see settings.ts). */
export interface ServiceConfig {
  readonly tableName: string;
  readonly mailFrom: string;
  /** `mailFrom` parsed: a malformed sender fails the cold start, not every send. */
  readonly sender: Sender;
  /** Who is asking: named in every mail and on the page. */
  readonly productName: string;
  /** A folder of operator mail templates; unset: the built-in ones. */
  readonly mailTemplatesDir?: string;
  readonly region: string;
  /** Local endpoints; unset in AWS. */
  readonly dynamodbEndpoint?: string;
  readonly sesEndpoint?: string;
  /** SES configuration set of every send; unset locally. */
  readonly sesConfigurationSet?: string;
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
  /** CORS_ALLOWED_ORIGINS as written; lambdas/http/cors.ts parses it. */
  readonly corsAllowedOrigins?: string;
  readonly rpc: {
    readonly maxEmails: number;
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
    sender: senderOf(read('MAIL_FROM')),
    productName: read('PRODUCT_NAME'),
    mailTemplatesDir: read('MAIL_TEMPLATES_DIR'),
    region: env.AWS_REGION || FALLBACK_REGION,
    dynamodbEndpoint: read('DYNAMODB_ENDPOINT'),
    sesEndpoint: read('SES_ENDPOINT'),
    sesConfigurationSet: read('SES_CONFIGURATION_SET'),
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
    corsAllowedOrigins: read('CORS_ALLOWED_ORIGINS'),
    rpc: {
      maxEmails: read('RPC_MAX_EMAILS'),
      maxVerificationsPerDay: read('RPC_MAX_VERIFICATIONS_PER_DAY'),
      maxPerClientIpPerHour: read('RPC_MAX_PER_CLIENT_IP_PER_HOUR'),
      // The sandbox allows 1 mail per second. One send at a time keeps a batch near that (in the
      // sandbox only verified recipients can be mailed, so its batches are small); a send SES
      // still throttles is retried by the SDK, and failing that is the address's SendEmailFailed,
      // with nothing charged, so the caller may send it again at once.
      batchConcurrency: read('SES_SANDBOX') ? 1 : read('RPC_BATCH_CONCURRENCY'),
    },
  };
}

function senderOf(mailFrom: string): Sender {
  try {
    return parseSender(mailFrom);
  } catch (error) {
    if (error instanceof SenderError) throw new ConfigError(error.message);
    throw error;
  }
}
