import type { QuotaPolicy } from './domain/quota.js';
import { LOG_LEVELS, type LogLevel } from './observability/request-log.js';

/** Everything the handlers, the local stack and the CLI read from the environment. */
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
  /** Request log lines below this level are not written; `error` keeps only failures. */
  readonly logLevel: LogLevel;
  /** Base URL the mailed link points at; when unset, taken from the request. */
  readonly publicBaseUrl?: string;
  readonly rpc: {
    readonly maxEmails: number;
    readonly maxVerificationsPerDay: number;
    readonly maxPerClientIpPerHour: number;
    readonly batchConcurrency: number;
    readonly timestampToleranceSeconds: number;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

function logLevel(env: Env): LogLevel {
  const raw = text(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

export function loadConfig(env: Env = process.env): ServiceConfig {
  const deployed = env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_SAM_LOCAL !== 'true';
  return {
    tableName: text(env, 'TABLE_NAME', 'email-verification'),
    mailFrom: text(env, 'MAIL_FROM', 'no-reply@example.com'),
    region: text(env, 'AWS_REGION', 'us-east-1'),
    dynamodbEndpoint: optional(env, 'DYNAMODB_ENDPOINT'),
    sesEndpoint: optional(env, 'SES_ENDPOINT'),
    quota: {
      cooldownSeconds: integer(env, 'RESEND_COOLDOWN_SECONDS', 60, 0, 86_400),
      maxPerWindow: integer(env, 'RESEND_MAX_PER_WINDOW', 5, 1, 100),
      windowSeconds: integer(env, 'RESEND_WINDOW_SECONDS', 3600, 1, 7 * 86_400),
    },
    otpTtlSeconds: integer(env, 'OTP_TTL_SECONDS', 600, 60, 86_400),
    maxGuesses: integer(env, 'OTP_MAX_GUESSES', 5, 1, 100),
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', 3600, 60, 7 * 86_400),
    tokenIssuer: text(env, 'TOKEN_ISSUER', 'email-verification-service'),
    tokenAudience: text(env, 'TOKEN_AUDIENCE', 'email-verification'),
    verifiedRetentionSeconds: integer(env, 'VERIFIED_RETENTION_SECONDS', 365 * 86_400, 86_400),
    exposeErrorTraces: flag(env, 'EXPOSE_ERROR_TRACES', !deployed),
    logLevel: logLevel(env),
    publicBaseUrl: optional(env, 'PUBLIC_BASE_URL'),
    rpc: {
      maxEmails: integer(env, 'RPC_MAX_EMAILS', 50, 1, 1000),
      maxVerificationsPerDay: integer(env, 'RPC_MAX_VERIFICATIONS_PER_DAY', 500, 1),
      maxPerClientIpPerHour: integer(env, 'RPC_MAX_PER_CLIENT_IP_PER_HOUR', 100, 1),
      batchConcurrency: integer(env, 'RPC_BATCH_CONCURRENCY', 20, 1, 100),
      timestampToleranceSeconds: 15 * 60,
    },
  };
}
