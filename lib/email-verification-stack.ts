import path from 'node:path';
import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FUNCTIONS, type ApiName } from '../lambdas/routes.js';
import { parseAllowedOrigins } from '../lambdas/http/cors.js';
import { loadMailComposer } from '../src/adapters/mail-template-folder.js';
import { parseSender, SenderError } from '../src/domain/sender.js';
import { SETTINGS, settingNames, validateSetting } from '../src/settings.js';
import { KeySecret } from './constructs/key-secret.js';
import { MailConfigurationSet } from './constructs/mail-configuration-set.js';
import { Operations } from './constructs/operations.js';
import { SenderIdentity } from './constructs/sender-identity.js';
import { API_STAGE, ServiceApi } from './constructs/service-api.js';
import { DEFAULT_RESERVED_CONCURRENCY, ServiceFunction } from './constructs/service-function.js';
import { VerificationTable } from './constructs/verification-table.js';
import { VerifiedEvents } from './constructs/verified-events.js';
import { settingsEnvironment, type SettingOverrides } from './function-environment.js';

export { API_STAGE } from './constructs/service-api.js';

export interface EmailVerificationStackProps extends StackProps {
  /**
   * The sender (`MAIL_FROM`), optionally as `Name <address>` (a non-ASCII name is sent
   * MIME-encoded). Default with `sesDomain`: `no-reply@<sesDomain>`; otherwise required.
   */
  readonly mailFrom?: string;
  /**
   * Create the SES domain identity for this domain, with Easy DKIM; the functions may then send
   * as exactly that identity. Without it the stack uses an identity verified outside it.
   */
  readonly sesDomain?: string;
  /** With `sesDomain`: a custom MAIL FROM domain `<subdomain>.<sesDomain>` (e.g. `mail`). */
  readonly sesMailFromSubdomain?: string;
  /** With `sesDomain`: the public Route 53 zone holding it; the DKIM and MAIL FROM records go there. */
  readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
  /**
   * An existing SES identity the functions may send as. Default (without `sesDomain`): the
   * domain identity of `mailFrom` and the address identity itself, in this stack's account and
   * region (SES authorizes against whichever of the two is verified).
   */
  readonly sesIdentityArn?: string;
  /**
   * The account is in the SES sandbox: the verified identities (addresses or domains) the
   * functions may mail, or `*` for any verified identity. Also sets SES_SANDBOX on the functions.
   */
  readonly sesSandboxRecipients?: readonly string[];
  /**
   * Skip the check that the sender can be verified at all, for a template that is never deployed
   * (tests, `sam local` against a local SES). Default false.
   */
  readonly allowUnverifiableSender?: boolean;
  /** Values for the functions' settings (src/settings.ts), e.g. `{ RESEND_COOLDOWN_SECONDS: 30 }`. */
  readonly settings?: SettingOverrides;
  /** Who the mails and the verification page say is asking (`PRODUCT_NAME`). */
  readonly productName?: string;
  /**
   * A folder of your own mail templates (the `MAIL_TEMPLATES_DIR` layout: `en/`, `zh/` with
   * `subject.txt`, `body.txt`, `body.html`), checked at synthesis and bundled with both
   * functions. Default: the built-in templates.
   */
  readonly mailTemplatesDir?: string;
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

/**
 * The bare address of `Name <address>` or `address`, as the functions send it (domain in lower
 * case and punycode), so the policy's `ses:FromAddress` matches their Source. A non-ASCII display
 * name is accepted: the mailer sends it as RFC 2047 encoded-words. A non-ASCII local part is not.
 */
export function senderAddress(mailFrom: string): string {
  try {
    return parseSender(mailFrom).address;
  } catch (error) {
    if (error instanceof SenderError) throw new Error(`mailFrom: ${error.message}`);
    throw error;
  }
}

/** What synth says when no sender is given: the two ways to name one. */
export const MISSING_SENDER =
  'No sender address: deploy with -c sesDomain=<your domain> (the stack creates the SES identity with DKIM; ' +
  'mail goes from no-reply@<domain>, or -c mailFrom=<address on it>) or with -c mailFrom=<an address on an SES ' +
  'identity already verified in the target region>. A synth that is never deployed (tests, sam local) may add ' +
  '-c allowUnverifiableSender=true.';

/** Where the operator's mail templates sit inside each function's bundle (/var/task in Lambda). */
export const BUNDLED_TEMPLATES_FOLDER = 'mail-templates';
const BUNDLED_TEMPLATES_DIR = `/var/task/${BUNDLED_TEMPLATES_FOLDER}`;

/**
 * The product name and the template folder, checked now: a bad name, or a template that cannot
 * be used (unknown placeholder, unsafe HTML, {{minutes}} with a lifetime in seconds), fails
 * synthesis with the setting's or the file's own message instead of the first mail.
 */
function mailSettings(props: EmailVerificationStackProps): { productName: string; templatesDir?: string } {
  const productName = String(props.productName ?? props.settings?.PRODUCT_NAME ?? SETTINGS.PRODUCT_NAME.default);
  validateSetting('PRODUCT_NAME', productName);
  const folder = props.mailTemplatesDir ?? props.settings?.MAIL_TEMPLATES_DIR;
  const templatesDir = folder === undefined || folder === '' ? undefined : path.resolve(String(folder));
  const otpTtl = props.settings?.OTP_TTL_SECONDS;
  loadMailComposer({
    productName,
    otpTtlSeconds: otpTtl === undefined ? SETTINGS.OTP_TTL_SECONDS.default : Number(otpTtl),
    ...(templatesDir ? { mailTemplatesDir: templatesDir } : {}),
  });
  return { productName, ...(templatesDir ? { templatesDir } : {}) };
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
    const mailFrom =
      props.mailFrom ??
      (props.sesDomain ? `no-reply@${props.sesDomain.trim().toLowerCase()}` : undefined) ??
      (props.allowUnverifiableSender ? SETTINGS.MAIL_FROM.default : undefined);
    if (mailFrom === undefined) throw new Error(MISSING_SENDER);
    const fromAddress = senderAddress(mailFrom);
    const sandboxRecipients = props.sesSandboxRecipients ?? [];
    const settings = sandboxSettings(props.settings ?? {}, sandboxRecipients);
    const corsAllowedOrigins = parseAllowedOrigins(settings.CORS_ALLOWED_ORIGINS === undefined ? undefined : String(settings.CORS_ALLOWED_ORIGINS));
    const mail = mailSettings(props);

    this.table = new VerificationTable(this, 'VerificationTable').table;
    const keys = this.keySecrets();
    this.mailConfigurationSet = new MailConfigurationSet(this, 'MailConfigurationSet');
    const sender = new SenderIdentity(this, 'SenderIdentity', {
      fromAddress,
      ...(props.sesDomain !== undefined ? { domain: props.sesDomain } : {}),
      ...(props.sesMailFromSubdomain !== undefined ? { mailFromSubdomain: props.sesMailFromSubdomain } : {}),
      ...(props.hostedZone !== undefined ? { hostedZone: props.hostedZone } : {}),
      ...(props.sesIdentityArn !== undefined ? { identityArn: props.sesIdentityArn } : {}),
      sandboxRecipients,
      allowUnverifiableSender: props.allowUnverifiableSender ?? false,
      configurationSetArn: this.mailConfigurationSet.arn,
    });

    const statements = [
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
      sender.sendStatement,
    ];
    const environment = (api: ApiName) => ({
      ...settingsEnvironment(api, settings),
      TABLE_NAME: this.table.tableName,
      MAIL_FROM: mailFrom,
      SES_CONFIGURATION_SET: this.mailConfigurationSet.name,
      PRODUCT_NAME: mail.productName,
      MAIL_TEMPLATES_DIR: mail.templatesDir ? BUNDLED_TEMPLATES_DIR : '',
      PUBLIC_BASE_URL: props.publicBaseUrl ?? '',
      TOKEN_SIGNING_SECRET_ARN: keys.tokenSigning.secretArn,
      OTP_HASH_SECRET_ARN: keys.otpHash.secretArn,
      ...(api === 'rpc' ? { RPC_ACCESS_KEYS_SECRET_ARN: keys.rpcAccessKeys.secretArn } : {}),
      ...(props.declareLocalKeyVariables ? Object.fromEntries(LOCAL_KEY_VARIABLES.map((name) => [name, ''])) : {}),
    });
    const bundledFolders: Record<string, string> = mail.templatesDir ? { [BUNDLED_TEMPLATES_FOLDER]: mail.templatesDir } : {};
    this.resendCodeFunction = new ServiceFunction(this, FUNCTIONS.iam.logicalId, {
      declaration: FUNCTIONS.iam,
      environment: environment('iam'),
      secrets: [keys.tokenSigning, keys.otpHash],
      statements,
      ...reservedConcurrencyOf('iam', props.reservedConcurrency),
      bundledFolders,
    }).fn;
    this.rpcFunction = new ServiceFunction(this, FUNCTIONS.rpc.logicalId, {
      declaration: FUNCTIONS.rpc,
      environment: environment('rpc'),
      secrets: [keys.tokenSigning, keys.otpHash, keys.rpcAccessKeys],
      statements,
      ...reservedConcurrencyOf('rpc', props.reservedConcurrency),
      bundledFolders,
    }).fn;

    this.api = new ServiceApi(this, 'EmailVerificationApi', {
      functions: { iam: this.resendCodeFunction, rpc: this.rpcFunction },
      throttling: props.throttling ?? { rateLimit: 50, burstLimit: 100 },
      corsAllowedOrigins,
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
    }).api;

    if (sender.grantsAnyRecipient) this.acknowledgeAnyRecipient();

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

  /** `sesSandboxRecipients=*`: SendEmail on every identity, still only as the sender. */
  private acknowledgeAnyRecipient(): void {
    for (const fn of [this.resendCodeFunction, this.rpcFunction]) {
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
        reason:
          'SES sandbox testing (sesSandboxRecipients=*): the sandbox authorises each send against the ' +
          "recipient's verified identity too, and testers verify recipients as they go. The statement " +
          'keeps the ses:FromAddress condition, so the functions can still send only as the configured ' +
          'sender; outside the sandbox recipient identities are not consulted.',
      });
    }
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

/**
 * SES_SANDBOX follows `sesSandboxRecipients`: the policy and the batch's pace must agree on
 * whether the account is in the sandbox.
 */
function sandboxSettings(settings: SettingOverrides, recipients: readonly string[]): SettingOverrides {
  const declared = settings.SES_SANDBOX === undefined ? undefined : String(settings.SES_SANDBOX) === 'true';
  if (declared === true && recipients.length === 0) {
    throw new Error(
      'SES_SANDBOX=true: in the sandbox SES also authorises the recipient, so name the verified recipients the ' +
        'functions may mail with -c sesSandboxRecipients=<address or domain>,... (or * for any verified identity)',
    );
  }
  if (declared === false && recipients.length > 0) {
    throw new Error('sesSandboxRecipients is for an account in the SES sandbox, but SES_SANDBOX=false: drop one of them');
  }
  return recipients.length > 0 ? { ...settings, SES_SANDBOX: true } : settings;
}
