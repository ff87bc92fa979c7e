import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../src/adapters/table-schema.js';

/** Per-address quota and lifetimes, shared by both handlers (SPEC section 3). */
export interface QuotaSettings {
  readonly resendCooldownSeconds: number;
  readonly resendMaxPerWindow: number;
  readonly resendWindowSeconds: number;
  readonly otpTtlSeconds: number;
  readonly tokenTtlSeconds: number;
}

/** Account-level limits of the RPC side (SPEC section 5). */
export interface RpcSettings {
  readonly maxEmails: number;
  readonly maxVerificationsPerDay: number;
}

export const DEFAULT_QUOTA: QuotaSettings = {
  resendCooldownSeconds: 60,
  resendMaxPerWindow: 5,
  resendWindowSeconds: 3600,
  otpTtlSeconds: 600,
  tokenTtlSeconds: 3600,
};

export const DEFAULT_RPC: RpcSettings = { maxEmails: 50, maxVerificationsPerDay: 500 };

export interface EmailVerificationStackProps extends StackProps {
  /** SES-verified sender address (`MAIL_FROM`), optionally as `Name <address>`. */
  readonly mailFrom: string;
  /**
   * SES identity the functions may send as. Default: the domain identity of `mailFrom` and the
   * address identity itself, in this stack's account and region (SES authorizes against
   * whichever of the two is verified).
   */
  readonly sesIdentityArn?: string;
  readonly quota?: Partial<QuotaSettings>;
  readonly rpc?: Partial<RpcSettings>;
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
export const LOCAL_KEY_VARIABLES = ['JWT_SIGNING_KEY', 'JWT_KEY_ID', 'OTP_HASH_KEY', 'RPC_ACCESS_KEY_ID', 'RPC_ACCESS_KEY_SECRET'];

/** Construct ids (and CloudFormation logical ids) that `events/README.md` names for `sam local invoke`. */
export const RESEND_CODE_FUNCTION_ID = 'ResendCodeFunction';
export const RPC_FUNCTION_ID = 'RpcFunction';
export const API_STAGE = 'prod';

const entry = (relative: string) => fileURLToPath(new URL(`../${relative}`, import.meta.url));

/** The bare address of `Name <address>` or `address`. */
export function senderAddress(mailFrom: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailFrom);
  const address = (match?.[1] ?? mailFrom).trim();
  if (!/^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/.test(address)) {
    throw new Error(`mailFrom must be an email address (optionally "Name <address>"), got "${mailFrom}"`);
  }
  return address;
}

export class EmailVerificationStack extends Stack {
  readonly table: Table;
  readonly api: RestApi;
  readonly resendCodeFunction: NodejsFunction;
  readonly rpcFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: EmailVerificationStackProps) {
    super(scope, id, props);

    const fromAddress = senderAddress(props.mailFrom);
    const quota = { ...DEFAULT_QUOTA, ...props.quota };
    const rpc = { ...DEFAULT_RPC, ...props.rpc };
    const throttling = props.throttling ?? { rateLimit: 50, burstLimit: 100 };

    // ---------------------------------------------------------------- storage
    this.table = new Table(this, 'VerificationTable', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Pending and verified records outlive any one deployment of the code.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---------------------------------------------------------------- secrets
    // Generated by Secrets Manager at deploy time: no key material is in the template or in
    // an environment variable. The functions get the ARNs and read the values at cold start.
    // Retained with the table: the OTP hashes stored there are useless without their key.
    const tokenSigningSecret = new Secret(this, 'TokenSigningSecret', {
      description: 'HS256 key for email verification tokens: {"kid","key","previous":[...]}.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ kid: 'k1' }),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const otpHashSecret = new Secret(this, 'OtpHashSecret', {
      description: 'HMAC key under which one-time codes are stored (never the codes themselves).',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const rpcAccessKeysSecret = new Secret(this, 'RpcAccessKeysSecret', {
      description: 'RPC API access keys: JSON map of AccessKeyId to AccessKeySecret.',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'rpc-default',
        passwordLength: 40,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // AwsSolutions-SMG4 (no automatic rotation): a Secrets Manager rotation Lambda replaces a
    // secret in one step, which suits a database password but not these keys: every value still
    // in use (tokens, stored hashes, client signatures) must keep working across a rotation.
    const noAutomaticRotation =
      'HMAC key material owned by this service, not a credential of another system that a rotation ' +
      'Lambda could reset; automatic single-step rotation would break everything signed or hashed ' +
      'with the current value. ';
    Validations.of(tokenSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        noAutomaticRotation +
        'Operators rotate by hand without downtime: tokens carry a kid, so a new {"kid","key"} goes ' +
        'in with the old entry moved to "previous" and is dropped after TOKEN_TTL_SECONDS.',
    });
    Validations.of(otpHashSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        noAutomaticRotation +
        'Rotating it invalidates only the codes in flight (OTP_TTL_SECONDS, 10 minutes); operators ' +
        'rotate it by hand at a quiet time, users just request a new code.',
    });
    Validations.of(rpcAccessKeysSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        noAutomaticRotation +
        'These are access keys held by RPC clients: rotation means issuing a new AccessKeyId next to ' +
        'the old one in the JSON map, handing it to the client and deleting the old one afterwards, ' +
        'which needs the client and cannot be automated here.',
    });

    // ---------------------------------------------------------------- functions
    const sharedEnvironment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      MAIL_FROM: props.mailFrom,
      TOKEN_SIGNING_SECRET_ARN: tokenSigningSecret.secretArn,
      OTP_HASH_SECRET_ARN: otpHashSecret.secretArn,
      EXPOSE_ERROR_TRACES: 'false',
      NODE_OPTIONS: '--enable-source-maps',
      RESEND_COOLDOWN_SECONDS: String(quota.resendCooldownSeconds),
      RESEND_MAX_PER_WINDOW: String(quota.resendMaxPerWindow),
      RESEND_WINDOW_SECONDS: String(quota.resendWindowSeconds),
      OTP_TTL_SECONDS: String(quota.otpTtlSeconds),
      TOKEN_TTL_SECONDS: String(quota.tokenTtlSeconds),
      // Empty in AWS (the SDKs use the regional endpoints). Declared so that
      // `sam local invoke --env-vars events/env.local.json` can point them at DynamoDB Local
      // and the local SES: sam only overrides variables the template declares.
      DYNAMODB_ENDPOINT: '',
      SES_ENDPOINT: '',
      ...(props.publicBaseUrl ? { PUBLIC_BASE_URL: props.publicBaseUrl } : {}),
      ...(props.declareLocalKeyVariables ? Object.fromEntries(LOCAL_KEY_VARIABLES.map((name) => [name, ''])) : {}),
    };

    // Least privilege: one role per function with only what the handler calls. No
    // AWSLambdaBasicExecutionRole (it allows logs:CreateLogGroup and writing to any log group):
    // each role may write only to its own, pre-created log group.
    const dataAccess = new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [this.table.tableArn],
    });
    const sesIdentities = props.sesIdentityArn
      ? [props.sesIdentityArn]
      : [fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase(), fromAddress].map((identity) =>
          this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
        );
    const sendMail = new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['ses:SendEmail'],
      resources: sesIdentities,
      conditions: { StringEquals: { 'ses:FromAddress': fromAddress } },
    });

    const makeFunction = (
      id: string,
      entryFile: string,
      description: string,
      timeout: Duration,
      environment: Record<string, string>,
      secrets: Secret[],
    ): NodejsFunction => {
      const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
      const role = new Role(this, `${id}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${id}`,
      });
      logGroup.grantWrite(role);
      const fn = new NodejsFunction(this, id, {
        entry: entry(entryFile),
        handler: 'handler',
        description,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        // 512 MB for the CPU, not the memory: Lambda allocates CPU in proportion to memory, and
        // the cold start (loading a ~450 KB bundle, Secrets Manager reads, SDK set-up) and the
        // HMAC/JWT work are CPU-bound, so they finish about 4x faster than at 128 MB, which
        // keeps the cost per request close to the same.
        memorySize: 512,
        timeout,
        role,
        logGroup,
        environment,
        bundling: {
          format: OutputFormat.ESM,
          target: 'node24',
          platform: 'node',
          minify: true,
          // Error names survive minification (handlers and SDKs test `error.name`).
          keepNames: true,
          sourceMap: true,
          charset: Charset.UTF8,
          // Bundle AWS SDK v3 instead of taking whatever version the runtime ships.
          externalModules: [],
          mainFields: ['module', 'main'],
          // CommonJS dependencies bundled into an ESM file still call require().
          banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
          forceDockerBundling: false,
        },
      });
      // Fixed logical id, so `sam local invoke <id>` and the docs can name the function.
      (fn.node.defaultChild as CfnFunction).overrideLogicalId(id);
      fn.addToRolePolicy(dataAccess);
      fn.addToRolePolicy(sendMail);
      // Secrets: GetSecretValue only (secret.grantRead would add DescribeSecret, not needed).
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:GetSecretValue'],
          resources: secrets.map((secret) => secret.secretArn),
        }),
      );
      return fn;
    };

    // One function serves both IAM routes (resend and verify) and routes internally.
    this.resendCodeFunction = makeFunction(
      RESEND_CODE_FUNCTION_ID,
      'lambdas/resend-code/index.ts',
      'IAM API: POST /api/v1/users/email-verification-code and /api/v1/users/email-verification',
      Duration.seconds(10),
      sharedEnvironment,
      [tokenSigningSecret, otpHashSecret],
    );
    // A batch of up to RPC_MAX_EMAILS addresses is sent with bounded concurrency; 25 s leaves
    // the function time to finish and log before API Gateway's 29 s integration timeout.
    this.rpcFunction = makeFunction(
      RPC_FUNCTION_ID,
      'lambdas/rpc/index.ts',
      'Aliyun-style RPC API (GET/POST /) and the mailed verification page (/email-verification)',
      Duration.seconds(25),
      {
        ...sharedEnvironment,
        RPC_ACCESS_KEYS_SECRET_ARN: rpcAccessKeysSecret.secretArn,
        RPC_MAX_EMAILS: String(rpc.maxEmails),
        RPC_MAX_VERIFICATIONS_PER_DAY: String(rpc.maxVerificationsPerDay),
      },
      [tokenSigningSecret, otpHashSecret, rpcAccessKeysSecret],
    );

    // ---------------------------------------------------------------- API
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.api = new RestApi(this, 'EmailVerificationApi', {
      description: 'Email verification: IAM-style JWT routes and Aliyun-style RPC routes',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Execution logging needs the account-level API Gateway CloudWatch role; this creates it.
      // Note: AWS::ApiGateway::Account is one per account and region.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        // The mail-sending routes get a tighter share than the stage (cheap reads stay open).
        methodOptions: {
          '/api/v1/users/email-verification-code/POST': {
            throttlingRateLimit: Math.max(1, Math.floor(throttling.rateLimit / 2)),
            throttlingBurstLimit: Math.max(1, Math.floor(throttling.burstLimit / 2)),
          },
        },
        // Access log fields are all metadata: no bodies, no query strings, no Authorization header.
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        // Execution logs for errors only, and never data trace: data trace would log request
        // bodies and headers, that is bearer tokens, signed RPC parameters and codes.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    // Request validation: the IAM routes require the Authorization header, checked at the edge.
    // A request without it gets the service's own 401 (group user, code 406) instead of API
    // Gateway's 400, so clients see the same answer as from the handler.
    const validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.api.addGatewayResponse('MissingAuthorization', {
      type: ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '401',
      responseHeaders: {
        'Content-Type': "'application/json'",
        'Cache-Control': "'no-store'",
        'WWW-Authenticate': "'Bearer'",
      },
      templates: {
        'application/json':
          '{"group":"user","code":406,"message":"Invalid email verification token."}',
      },
    });

    const resendIntegration = new LambdaIntegration(this.resendCodeFunction, { allowTestInvoke: false });
    const rpcIntegration = new LambdaIntegration(this.rpcFunction, { allowTestInvoke: false });

    const users = this.api.root.addResource('api').addResource('v1').addResource('users');
    const iamMethods = [
      users.addResource('email-verification-code').addMethod('POST', resendIntegration, {
        operationName: 'resendEmailCodeRequest',
        requestValidator: validator,
        requestParameters: { 'method.request.header.Authorization': true },
      }),
      users.addResource('email-verification').addMethod('POST', resendIntegration, {
        operationName: 'verifyEmailCodeRequest',
        requestValidator: validator,
        requestParameters: { 'method.request.header.Authorization': true },
      }),
    ];
    const page = this.api.root.addResource('email-verification');
    const rpcMethods = [
      this.api.root.addMethod('GET', rpcIntegration, { operationName: 'rpcGet' }),
      this.api.root.addMethod('POST', rpcIntegration, { operationName: 'rpcPost' }),
      page.addMethod('GET', rpcIntegration, { operationName: 'verificationPage' }),
      page.addMethod('POST', rpcIntegration, { operationName: 'verificationPageConfirm' }),
    ];

    const suppressAuthorizer = (methods: Method[], reason: string) => {
      for (const method of methods) {
        Validations.of(method).acknowledge(
          { id: 'AwsSolutions-APIG4', reason },
          { id: 'AwsSolutions-COG4', reason },
        );
      }
    };
    suppressAuthorizer(
      iamMethods,
      'Authenticated by the service itself: the bearer token is the HS256 email verification JWT ' +
        'the service issued (seed API contract), verified by the handler; an IAM or Cognito ' +
        'authorizer cannot check it and would break the documented 401 codes 406/407.',
    );
    suppressAuthorizer(
      rpcMethods.slice(0, 2),
      'Authenticated by the Aliyun RPC signature (HMAC-SHA1 over the request parameters with an ' +
        'access key from Secrets Manager, timestamp window and single-use nonce), verified by the ' +
        'handler; unmodified Aliyun clients cannot send IAM SigV4 or Cognito tokens.',
    );
    suppressAuthorizer(
      rpcMethods.slice(2),
      'The mailed verification link is opened by a person in a browser: the single-use signed ' +
        'token in the link is the credential, verified by the handler. There is no user to sign in.',
    );

    if (props.webAclArn) {
      new CfnWebACLAssociation(this, 'ApiWebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is optional (stack prop / context webAclArn associates a regional web ACL). Without ' +
          'it, abuse is bounded by stage and method throttling, the per-address quota, the per-key ' +
          'daily limit and per-IP limits enforced in DynamoDB.',
      });
    }

    // API Gateway's account-level logging role uses the AWS-managed push-to-CloudWatch policy.
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        // cdk-nag 3 names one finding as RuleId[finding]: only this managed policy is accepted.
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for the API Gateway ' +
          'service role that writes execution and access logs; it is assumed only by ' +
          'apigateway.amazonaws.com and the log groups it creates are not known in advance.',
      });
    }

    // ---------------------------------------------------------------- outputs
    // RestApi adds an `Endpoint…` output of its own; keep one, stably named, URL output.
    this.api.node.tryRemoveChild('Endpoint');
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (stage prod)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'TokenSigningSecretArn', { value: tokenSigningSecret.secretArn });
    new CfnOutput(this, 'OtpHashSecretArn', { value: otpHashSecret.secretArn });
    new CfnOutput(this, 'RpcAccessKeysSecretArn', {
      value: rpcAccessKeysSecret.secretArn,
      description: 'JSON map AccessKeyId -> AccessKeySecret; the generated key is "rpc-default"',
    });
  }
}
