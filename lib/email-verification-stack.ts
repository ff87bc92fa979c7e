import path from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { FUNCTIONS, type ApiName } from '../lambdas/routes.js';
import { loadMailComposer } from '../src/adapters/mail-template-folder.js';
import { SETTINGS, settingNames, validateSetting } from '../src/settings.js';
import { KeySecret } from './constructs/key-secret.js';
import { API_STAGE, ServiceApi } from './constructs/service-api.js';
import { ServiceFunction } from './constructs/service-function.js';
import { VerificationTable } from './constructs/verification-table.js';
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
   * For `sam local` only (context `samLocal=true`): also declare the local-only key variables
   * (JWT_SIGNING_KEY, ...) with empty values, because `sam local --env-vars` can only override
   * variables the template declares. Never set for a deployment. Default false.
   */
  readonly declareLocalKeyVariables?: boolean;
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

/** API Gateway, the two functions, the shared table and their keys. */
export class EmailVerificationStack extends Stack {
  readonly table: Table;
  readonly api: RestApi;
  readonly resendCodeFunction: NodejsFunction;
  readonly rpcFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: EmailVerificationStackProps) {
    super(scope, id, props);
    const fromAddress = senderAddress(props.mailFrom);
    const mail = mailSettings(props);

    this.table = new VerificationTable(this, 'VerificationTable').table;
    const keys = this.keySecrets();

    const statements = [
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources: this.sesIdentities(fromAddress, props.sesIdentityArn),
        conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
      }),
    ];
    const environment = (api: ApiName) => ({
      ...settingsEnvironment(api, props.settings ?? {}),
      TABLE_NAME: this.table.tableName,
      MAIL_FROM: props.mailFrom,
      PRODUCT_NAME: mail.productName,
      MAIL_TEMPLATES_DIR: mail.templatesDir ? BUNDLED_TEMPLATES_DIR : '',
      PUBLIC_BASE_URL: props.publicBaseUrl ?? '',
      TOKEN_SIGNING_SECRET_ARN: keys.tokenSigning.secretArn,
      OTP_HASH_SECRET_ARN: keys.otpHash.secretArn,
      ...(api === 'rpc' ? { RPC_ACCESS_KEYS_SECRET_ARN: keys.rpcAccessKeys.secretArn } : {}),
      NODE_OPTIONS: '--enable-source-maps',
      ...(props.declareLocalKeyVariables ? Object.fromEntries(LOCAL_KEY_VARIABLES.map((name) => [name, ''])) : {}),
    });
    const bundledFolders: Record<string, string> = mail.templatesDir ? { [BUNDLED_TEMPLATES_FOLDER]: mail.templatesDir } : {};
    this.resendCodeFunction = new ServiceFunction(this, FUNCTIONS.iam.logicalId, {
      declaration: FUNCTIONS.iam,
      environment: environment('iam'),
      secrets: [keys.tokenSigning, keys.otpHash],
      statements,
      bundledFolders,
    }).fn;
    this.rpcFunction = new ServiceFunction(this, FUNCTIONS.rpc.logicalId, {
      declaration: FUNCTIONS.rpc,
      environment: environment('rpc'),
      secrets: [keys.tokenSigning, keys.otpHash, keys.rpcAccessKeys],
      statements,
      bundledFolders,
    }).fn;

    this.api = new ServiceApi(this, 'EmailVerificationApi', {
      functions: { iam: this.resendCodeFunction, rpc: this.rpcFunction },
      throttling: props.throttling ?? { rateLimit: 50, burstLimit: 100 },
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
    }).api;

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Base URL of the API (stage ${API_STAGE})` });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'TokenSigningSecretArn', { value: keys.tokenSigning.secretArn });
    new CfnOutput(this, 'OtpHashSecretArn', { value: keys.otpHash.secretArn });
    new CfnOutput(this, 'RpcAccessKeysSecretArn', {
      value: keys.rpcAccessKeys.secretArn,
      description: 'JSON map AccessKeyId -> AccessKeySecret; the generated key is "rpc-default"',
    });
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
