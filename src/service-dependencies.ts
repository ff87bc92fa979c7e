import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import { AWS_CALL_LIMITS, dynamoDbClient, sesClient } from './adapters/aws-clients.js';
import { DynamoDbLimitCounters } from './adapters/dynamodb-limit-counters.js';
import { DynamoDbNonceRegistry } from './adapters/dynamodb-nonce-registry.js';
import { DynamoDbVerificationStore } from './adapters/dynamodb-verification-store.js';
import { loadMailComposer } from './adapters/mail-template-folder.js';
import { loadServiceSecrets, type ServiceSecrets } from './adapters/service-secrets.js';
import { SesMailer } from './adapters/ses-mailer.js';
import { loadConfig, type ServiceConfig } from './config.js';
import { OtpIssuer, type RandomInteger } from './domain/otp.js';
import type { LimitCounters, Mailer, NonceRegistry, VerificationStore } from './domain/ports.js';
import type { SendDependencies } from './domain/send-verification-code.js';
import type { VerifyDependencies } from './domain/verify-address.js';
import { VerificationTokens } from './domain/verification-token.js';
import { createServiceLogger, type ServiceLogger } from './observability/logger.js';

/** The least time worth giving a mail: under it, a send is not started at all. */
const MINIMUM_MAIL_MS = 1_000;

/** Everything a handler needs, built once per cold start. */
export interface ServiceDependencies {
  readonly config: ServiceConfig;
  readonly secrets: ServiceSecrets;
  readonly dynamodb: DynamoDBClient;
  readonly store: VerificationStore;
  readonly mailer: Mailer;
  readonly counters: LimitCounters;
  readonly nonces: NonceRegistry;
  readonly send: SendDependencies;
  readonly verify: VerifyDependencies;
  readonly sessionTokens: VerificationTokens;
  readonly linkTokens: VerificationTokens;
  readonly clock: () => number;
  /** The service's logger at LOG_LEVEL; each handler derives its own (with its `api`) from it. */
  readonly logger: ServiceLogger;
}

/** Replaceable parts, so tests can inject real faults into real clients. */
export interface DependencyOverrides {
  readonly dynamodb?: DynamoDBClient;
  readonly ses?: SESClient;
  readonly random?: RandomInteger;
  readonly clock?: () => number;
  readonly tokenKeyring?: ServiceSecrets['tokenKeyring'];
  readonly logger?: ServiceLogger;
}

export function createServiceDependencies(
  config: ServiceConfig,
  secrets: ServiceSecrets,
  overrides: DependencyOverrides = {},
): ServiceDependencies {
  const clock = overrides.clock ?? Date.now;
  const dynamodb = overrides.dynamodb ?? dynamoDbClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  const ses = overrides.ses ?? sesClient({ region: config.region, endpoint: config.sesEndpoint });
  const store = new DynamoDbVerificationStore(dynamodb, config.tableName);
  const mailer = new SesMailer(ses, config.sender, config.sesConfigurationSet);
  const logger = overrides.logger ?? createServiceLogger(config.logLevel);
  const otps = new OtpIssuer(secrets.otpHashKey, config.otpTtlSeconds, overrides.random);
  const keyring = overrides.tokenKeyring ?? secrets.tokenKeyring;
  const tokenSettings = { issuer: config.tokenIssuer, audience: config.tokenAudience };
  return {
    config,
    secrets,
    dynamodb,
    store,
    mailer,
    counters: new DynamoDbLimitCounters(dynamodb, config.tableName),
    nonces: new DynamoDbNonceRegistry(dynamodb, config.tableName),
    clock,
    logger,
    send: {
      store,
      mailer,
      // Templates are read and compiled here, once per cold start.
      mail: loadMailComposer(config),
      otps,
      clock,
      settings: {
        quota: config.quota,
        // A pending record must outlive every token and code that can still act on it.
        pendingRetentionSeconds: Math.max(config.tokenTtlSeconds, config.quota.windowSeconds, config.otpTtlSeconds),
      },
      // Taking a failed send back is one DynamoDB write: the mail stops in time to leave room
      // for it, and a send is only started with room for the write, a mail and the undo.
      timing: {
        undoReserveMs: AWS_CALL_LIMITS.dynamodb.callMs,
        minimumToSendMs: AWS_CALL_LIMITS.dynamodb.callMs + MINIMUM_MAIL_MS,
      },
      onRevertFailure: (error) =>
        logger.error('revert after a failed send failed: the quota stays charged', error instanceof Error ? error : String(error)),
    },
    verify: {
      store,
      otps,
      clock,
      settings: { maxGuesses: config.maxGuesses, verifiedRetentionSeconds: config.verifiedRetentionSeconds },
    },
    sessionTokens: new VerificationTokens(keyring, { ...tokenSettings, ttlSeconds: config.tokenTtlSeconds }, 'session'),
    linkTokens: new VerificationTokens(keyring, { ...tokenSettings, ttlSeconds: config.otpTtlSeconds }, 'link'),
  };
}

/** Config from the environment, secrets from Secrets Manager (or the environment, locally). */
export async function loadServiceDependencies(env = process.env): Promise<ServiceDependencies> {
  return createServiceDependencies(loadConfig(env), await loadServiceSecrets(env));
}
