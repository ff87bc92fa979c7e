import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FUNCTIONS, type ApiName } from '../lambdas/routes.js';
import { SETTINGS, settingNames } from '../src/settings.js';
import { KeySecret } from './constructs/key-secret.js';
import { MailConfigurationSet } from './constructs/mail-configuration-set.js';
import { Operations } from './constructs/operations.js';
import { API_STAGE, ServiceApi } from './constructs/service-api.js';
import { DEFAULT_RESERVED_CONCURRENCY, ServiceFunction } from './constructs/service-function.js';
import { VerificationTable } from './constructs/verification-table.js';
import { VerifiedEvents } from './constructs/verified-events.js';
import { settingsEnvironment, type SettingOverrides } from './function-environment.js';

export { API_STAGE } from './constructs/service-api.js';

export interface EmailVerificationStackProps extends StackProps {
  /** SES-verified sender address (`MAIL_FROM`), optionally as `Name <address>`. */
  readonly mailFrom: string;
  /**
   * SES identity the functions may send as. Default: the domain identity of `mailFrom` and the
   * address identity itself, in this stack's account and region (SES authorizes against
   * whichever of the two is verified).
   */
  readonly sesIdentityArn?: string;
  /** Values for the functions' settings (src/settings.ts), e.g. `{ RESEND_COOLDOWN_SECONDS: 30 }`. */
  readonly settings?: SettingOverrides;
  /** Base URL of the mailed verification link (`PUBLIC_BASE_URL`); default: taken from the request. */
  readonly publicBaseUrl?: string;
  /** A regional WAFv2 web ACL to put in front of the API stage. */
  readonly webAclArn?: string;
  /** Stage-wide API Gateway throttling (steady requests per second and burst). */
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * The event bus the EmailVerified events go to, by name or ARN (context `eventBus`). Default:
   * the account's default bus.
   */
  readonly eventBus?: string;
  /** The EmailVerified events' `source` (context `eventSource`). Default: `email-verification-service`. */
  readonly eventSource?: string;
  /**
   * For `sam local` only (context `samLocal=true`): also declare the local-only key variables
   * (JWT_SIGNING_KEY, ...) with empty values, because `sam local --env-vars` can only override
   * variables the template declares. Never set for a deployment. Default false.
   */
  readonly declareLocalKeyVariables?: boolean;
  /** An address subscribed to the alarm topic (it must confirm the subscription mail). */
  readonly alarmEmail?: string;
  /**
   * Reserved concurrency per function; `null` leaves one unreserved. Default
   * DEFAULT_RESERVED_CONCURRENCY (lib/constructs/service-function.ts), where the reason is.
   */
  readonly reservedConcurrency?: Partial<Record<ApiName, number | null>>;
}

/** Key material the handlers take from the environment when no *_SECRET_ARN is set (locally). */
export const LOCAL_KEY_VARIABLES = settingNames('local-key');

/** Construct ids (and CloudFormation logical ids) that `events/README.md` names for `sam local invoke`. */
export const RESEND_CODE_FUNCTION_ID = FUNCTIONS.iam.logicalId;
export const RPC_FUNCTION_ID = FUNCTIONS.rpc.logicalId;

/** The bare address of `Name <address>` or `address`. */
export function senderAddress(mailFrom: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailFrom);
  const address = (match?.[1] ?? mailFrom).trim();
  if (!/^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/.test(address)) {
    throw new Error(`mailFrom must be an email address (optionally "Name <address>"), got "${mailFrom}"`);
  }
  return address;
}

/** API Gateway, the two functions, the shared table, their keys, the EmailVerified events, the mail configuration and operations. */
export class EmailVerificationStack extends Stack {
  readonly table: Table;
  readonly verifiedEvents: VerifiedEvents;
  readonly api: RestApi;
  readonly resendCodeFunction: NodejsFunction;
  readonly rpcFunction: NodejsFunction;
  readonly mailConfigurationSet: MailConfigurationSet;
  /** The SNS topic every alarm of the stack notifies; add further alarms' actions to it. */
  readonly alarmTopic: Topic;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: EmailVerificationStackProps) {
    super(scope, id, props);
    const fromAddress = senderAddress(props.mailFrom);

    this.table = new VerificationTable(this, 'VerificationTable').table;
    const keys = this.keySecrets();
    this.mailConfigurationSet = new MailConfigurationSet(this, 'MailConfigurationSet');

    const statements = [
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        // SES authorizes a send against the sender identity and the configuration set it names.
        resources: [...this.sesIdentities(fromAddress, props.sesIdentityArn), this.mailConfigurationSet.arn],
        conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
      }),
    ];
    const environment = (api: ApiName) => ({
      ...settingsEnvironment(api, props.settings ?? {}),
      TABLE_NAME: this.table.tableName,
      MAIL_FROM: props.mailFrom,
      SES_CONFIGURATION_SET: this.mailConfigurationSet.name,
      PUBLIC_BASE_URL: props.publicBaseUrl ?? '',
      TOKEN_SIGNING_SECRET_ARN: keys.tokenSigning.secretArn,
      OTP_HASH_SECRET_ARN: keys.otpHash.secretArn,
      ...(api === 'rpc' ? { RPC_ACCESS_KEYS_SECRET_ARN: keys.rpcAccessKeys.secretArn } : {}),
      ...(props.declareLocalKeyVariables ? Object.fromEntries(LOCAL_KEY_VARIABLES.map((name) => [name, ''])) : {}),
    });
    this.resendCodeFunction = new ServiceFunction(this, FUNCTIONS.iam.logicalId, {
      declaration: FUNCTIONS.iam,
      environment: environment('iam'),
      secrets: [keys.tokenSigning, keys.otpHash],
      statements,
      ...reservedConcurrencyOf('iam', props.reservedConcurrency),
    }).fn;
    this.rpcFunction = new ServiceFunction(this, FUNCTIONS.rpc.logicalId, {
      declaration: FUNCTIONS.rpc,
      environment: environment('rpc'),
      secrets: [keys.tokenSigning, keys.otpHash, keys.rpcAccessKeys],
      statements,
      ...reservedConcurrencyOf('rpc', props.reservedConcurrency),
    }).fn;

    this.api = new ServiceApi(this, 'EmailVerificationApi', {
      functions: { iam: this.resendCodeFunction, rpc: this.rpcFunction },
      throttling: props.throttling ?? { rateLimit: 50, burstLimit: 100 },
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
    }).api;

    this.verifiedEvents = new VerifiedEvents(this, 'VerifiedEvents', {
      table: this.table,
      eventBus: this.eventBus(props.eventBus),
      source: props.eventSource ?? SETTINGS.EVENT_SOURCE.default,
    });

    this.operations = new Operations(this, 'Operations', {
      functions: { iam: this.resendCodeFunction, rpc: this.rpcFunction },
      stage: this.api.deploymentStage,
      table: this.table,
      mail: this.mailConfigurationSet,
      otherAlarms: [this.verifiedEvents.deadLetterAlarm],
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    this.alarmTopic = this.operations.alarmTopic;

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Base URL of the API (stage ${API_STAGE})` });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Every alarm notifies this topic' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'SesConfigurationSetName', { value: this.mailConfigurationSet.name });
    new CfnOutput(this, 'TokenSigningSecretArn', { value: keys.tokenSigning.secretArn });
    new CfnOutput(this, 'OtpHashSecretArn', { value: keys.otpHash.secretArn });
    new CfnOutput(this, 'RpcAccessKeysSecretArn', {
      value: keys.rpcAccessKeys.secretArn,
      description: 'JSON map AccessKeyId -> AccessKeySecret; the generated key is "rpc-default"',
    });
    new CfnOutput(this, 'EmailVerifiedEventBusArn', {
      value: this.verifiedEvents.eventBusArn,
      description: 'The bus the EmailVerified events are put on',
    });
    new CfnOutput(this, 'EmailVerifiedEventSource', {
      value: this.verifiedEvents.source,
      description: 'The source of the EmailVerified events (detail-type EmailVerified)',
    });
    new CfnOutput(this, 'EmailVerifiedDeadLetterQueueUrl', {
      value: this.verifiedEvents.deadLetterQueue.queueUrl,
      description: 'EmailVerified deliveries that failed: each message names a failed batch of the table stream',
    });
  }

  /** The bus of `nameOrArn`, or this account's default bus. */
  private eventBus(nameOrArn: string | undefined): IEventBus {
    if (nameOrArn?.startsWith('arn:')) return EventBus.fromEventBusArn(this, 'EventBus', nameOrArn);
    return EventBus.fromEventBusName(this, 'EventBus', nameOrArn ?? 'default');
  }

  /** The three keys, generated at deploy time (see KeySecret). */
  private keySecrets() {
    return {
      tokenSigning: new KeySecret(this, 'TokenSigningSecret', {
        description: 'HS256 key for email verification tokens: {"kid","key","previous":[...]}.',
        generate: {
          secretStringTemplate: JSON.stringify({ kid: 'k1' }),
          generateStringKey: 'key',
          passwordLength: 64,
          excludePunctuation: true,
        },
        manualRotation:
          'Operators rotate by hand without downtime: tokens carry a kid, so a new {"kid","key"} goes ' +
          'in with the old entry moved to "previous" and is dropped after TOKEN_TTL_SECONDS.',
      }).secret,
      otpHash: new KeySecret(this, 'OtpHashSecret', {
        description: 'HMAC key under which one-time codes are stored (never the codes themselves).',
        generate: { passwordLength: 64, excludePunctuation: true },
        manualRotation:
          'Rotating it invalidates only the codes in flight (OTP_TTL_SECONDS, 10 minutes); operators ' +
          'rotate it by hand at a quiet time, users just request a new code.',
      }).secret,
      rpcAccessKeys: new KeySecret(this, 'RpcAccessKeysSecret', {
        description: 'RPC API access keys: JSON map of AccessKeyId to AccessKeySecret.',
        generate: {
          secretStringTemplate: '{}',
          generateStringKey: 'rpc-default',
          passwordLength: 40,
          excludePunctuation: true,
        },
        manualRotation:
          'These are access keys held by RPC clients: rotation means issuing a new AccessKeyId next to ' +
          'the old one in the JSON map, handing it to the client and deleting the old one afterwards, ' +
          'which needs the client and cannot be automated here.',
      }).secret,
    };
  }

  /** `mailFrom`'s domain and address identities in this account and region, unless one is given. */
  private sesIdentities(fromAddress: string, sesIdentityArn: string | undefined): string[] {
    if (sesIdentityArn) return [sesIdentityArn];
    const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase();
    return [domain, fromAddress].map((identity) =>
      this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
    );
  }
}

function reservedConcurrencyOf(api: ApiName, chosen: EmailVerificationStackProps['reservedConcurrency']) {
  const value = chosen?.[api] === undefined ? DEFAULT_RESERVED_CONCURRENCY[api] : chosen[api];
  if (value === null) return {};
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`reserved concurrency of the ${api} function must be a positive integer or none, got ${value}`);
  }
  return { reservedConcurrency: value };
}
