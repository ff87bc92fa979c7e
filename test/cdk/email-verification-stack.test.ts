import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  EmailVerificationStack,
  LOCAL_KEY_VARIABLES,
  RESEND_CODE_FUNCTION_ID,
  RPC_FUNCTION_ID,
  senderAddress,
} from '../../lib/email-verification-stack.js';
import { NO_ROUTE_BODY } from '../../lambdas/http/no-route.js';
import { FUNCTIONS, INTEGRATION_TIMEOUT_SECONDS, LAMBDA_INIT_LIMIT_SECONDS, ROUTES } from '../../lambdas/routes.js';
import { deployedSettingNames } from '../../lib/function-environment.js';
import { BUNDLE_FILE, buildLambdaBundle } from '../../lib/bundling/lambda-bundle.js';
import { readSetting } from '../../src/settings.js';
import { sesArn } from '../support/ses-arn.js';

type Json = Record<string, any>;

const MAIL_FROM = 'no-reply@example.com';
const TABLE_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const STREAM_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

// The feature flags `cdk synth` uses, so the tests see the template that is deployed.
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as Json).context as Json;

// Synthesized once: bundling both functions with esbuild takes a few seconds.
let app: App;
let stack: EmailVerificationStack;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  app = new App({ context: cdkJsonContext });
  // example.com can never be verified: the explicit opt-out for a template that is not deployed.
  stack = new EmailVerificationStack(app, 'EmailVerificationStack', { mailFrom: MAIL_FROM, allowUnverifiableSender: true });
  // Registered as bin/app.ts does: synthesis itself fails on any unacknowledged finding.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Json>;
}, 120_000);

function ofType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function logicalIdOf(type: string, id: string): string {
  const match = ofType(type).find(([logicalId]) => logicalId.startsWith(id));
  if (!match) throw new Error(`no ${type} ${id}`);
  return match[0];
}

/** An array's order carries no meaning in a policy: sorted, so comparisons ignore it. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortedDeep).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortedDeep(v)]));
  }
  return value;
}

/** All statements of the inline policies attached to a role, arrays sorted. */
function statementsOfRole(roleLogicalId: string): Json[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as Json[]).some((role) => role.Ref === roleLogicalId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
    .map((statement) => sortedDeep(statement) as Json);
}

function actionsOf(statement: Json): string[] {
  return ([] as string[]).concat(statement.Action);
}

function findKeyDeep(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => findKeyDeep(item, key));
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => k === key || findKeyDeep(v, key));
  }
  return false;
}

describe('DynamoDB table', () => {
  test('pk string key, on-demand, TTL, point-in-time recovery, encrypted, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('secrets', () => {
  test('three generated secrets, no key material in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"kid":"k1"}',
        GenerateStringKey: 'key',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectEquals({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'rpc-default',
        PasswordLength: 40,
        ExcludePunctuation: true,
      },
    });
    expect(findKeyDeep(template.toJSON(), 'SecretString')).toBe(false);
  });
});

describe('functions', () => {
  const secretRef = (id: string) => ({ Ref: logicalIdOf('AWS::SecretsManager::Secret', id) });

  test.each([RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID])('%s: arm64, nodejs24.x, handler, fixed logical id', (id) => {
    const fn = resources[id];
    expect(fn?.Type).toBe('AWS::Lambda::Function');
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
    });
    expect(fn?.Properties.Timeout).toBeLessThan(29);
  });

  test.each([
    [RESEND_CODE_FUNCTION_ID, FUNCTIONS.iam],
    [RPC_FUNCTION_ID, FUNCTIONS.rpc],
  ])('%s: a cold start that uses all of init and then the whole timeout still ends before API Gateway gives up', (id, declaration) => {
    const timeout = resources[id]!.Properties.Timeout as number;
    expect(timeout).toBe(declaration.timeoutSeconds);
    expect(INTEGRATION_TIMEOUT_SECONDS).toBe(29);
    expect(timeout + LAMBDA_INIT_LIMIT_SECONDS).toBeLessThanOrEqual(INTEGRATION_TIMEOUT_SECONDS - 1);
  });

  test('environment: config and secret ARNs, never key material', () => {
    const resendEnv = resources[RESEND_CODE_FUNCTION_ID]!.Properties.Environment.Variables as Json;
    const rpcEnv = resources[RPC_FUNCTION_ID]!.Properties.Environment.Variables as Json;
    // Every setting a function reads is declared, at its deployed default unless the stack sets it.
    const defaults = (api: 'iam' | 'rpc') =>
      Object.fromEntries(deployedSettingNames(api).map((name) => [name, String(readSetting({}, name, true) ?? '')]));
    const shared = {
      ...defaults('iam'),
      TABLE_NAME: { Ref: logicalIdOf('AWS::DynamoDB::Table', 'VerificationTable') },
      MAIL_FROM,
      // Every send goes out with the stack's configuration set.
      SES_CONFIGURATION_SET: { Ref: logicalIdOf('AWS::SES::ConfigurationSet', 'MailConfigurationSet') },
      PRODUCT_NAME: 'Example App',
      // The built-in mail templates: nothing bundled.
      MAIL_TEMPLATES_DIR: '',
      TOKEN_SIGNING_SECRET_ARN: secretRef('TokenSigningSecret'),
      OTP_HASH_SECRET_ARN: secretRef('OtpHashSecret'),
      EXPOSE_ERROR_TRACES: 'false',
      LOG_LEVEL: 'info',
      PUBLIC_BASE_URL: '',
      RESEND_COOLDOWN_SECONDS: '60',
      RESEND_MAX_PER_WINDOW: '5',
      RESEND_WINDOW_SECONDS: '3600',
      OTP_TTL_SECONDS: '600',
      TOKEN_TTL_SECONDS: '3600',
      // Declared empty so sam local --env-vars can override them; unset means AWS endpoints.
      DYNAMODB_ENDPOINT: '',
      SES_ENDPOINT: '',
    };
    expect(resendEnv).toEqual(shared);
    expect(rpcEnv).toEqual({
      ...defaults('rpc'),
      ...shared,
      RPC_ACCESS_KEYS_SECRET_ARN: secretRef('RpcAccessKeysSecret'),
      RPC_MAX_EMAILS: '50',
      RPC_MAX_VERIFICATIONS_PER_DAY: '500',
      RPC_MAX_PER_CLIENT_IP_PER_HOUR: '100',
      RPC_BATCH_CONCURRENCY: '20',
    });
    // The local-only variables that carry key material in plain text are never set in AWS.
    for (const env of [resendEnv, rpcEnv]) {
      for (const name of ['JWT_SIGNING_KEY', 'OTP_HASH_KEY', 'RPC_ACCESS_KEY_SECRET', 'RPC_ACCESS_KEY_ID']) {
        expect(env).not.toHaveProperty(name);
      }
      for (const [name, value] of Object.entries(env)) {
        if (name.endsWith('_SECRET_ARN')) expect(value).toEqual({ Ref: expect.any(String) });
      }
    }
  });

  test.each([RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID])(
    '%s ships the trimmed bundle: the very bytes lib/bundling builds for its entry, no NODE_OPTIONS',
    async (id) => {
      const declaration = Object.values(FUNCTIONS).find((candidate) => candidate.logicalId === id)!;
      // The asset staged in the assembly is named after the hash in the function's S3 key.
      const hash = (resources[id]!.Properties.Code.S3Key as string).replace(/\.zip$/, '');
      const asset = path.join(app.outdir, `asset.${hash}`, BUNDLE_FILE);
      const scratch = mkdtempSync(path.join(tmpdir(), 'bundle-'));
      try {
        const built = await buildLambdaBundle(fileURLToPath(new URL(`../../${declaration.entry}`, import.meta.url)), scratch);
        expect(readFileSync(asset).equals(readFileSync(built.file))).toBe(true);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      expect(resources[id]!.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    },
    60_000,
  );

  test('log groups keep one month', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(3);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });
});

describe('IAM: least privilege', () => {
  const tableArn = () => ({ 'Fn::GetAtt': [logicalIdOf('AWS::DynamoDB::Table', 'VerificationTable'), 'Arn'] });
  const sesIdentity = (identity: string) => sesArn(`:identity/${identity}`);
  const configurationSetArn = () => sesArn(':configuration-set/', { Ref: logicalIdOf('AWS::SES::ConfigurationSet', 'MailConfigurationSet') });

  test.each([
    [RESEND_CODE_FUNCTION_ID, ['OtpHashSecret', 'TokenSigningSecret']],
    [RPC_FUNCTION_ID, ['OtpHashSecret', 'RpcAccessKeysSecret', 'TokenSigningSecret']],
  ])('%s role: own log group, four item actions, SendEmail as the sender with the configuration set, its secrets, X-Ray', (id, secretIds) => {
    const roleId = resources[id]!.Properties.Role['Fn::GetAtt'][0] as string;
    expect(resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    expect(resources[roleId]!.Properties.Policies).toBeUndefined();
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);

    const statements = statementsOfRole(roleId);
    const logGroupId = resources[id]!.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(statements).toHaveLength(5);
    expect(statements).toEqual(
      expect.arrayContaining(sortedDeep([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: TABLE_ACTIONS, Resource: tableArn() },
        {
          Effect: 'Allow',
          Action: 'ses:SendEmail',
          Resource: [sesIdentity('example.com'), sesIdentity(MAIL_FROM), configurationSetArn()],
          Condition: { StringEquals: { 'ses:FromAddress': MAIL_FROM } },
        },
        // Active tracing: X-Ray has no resource-level permissions for these two.
        { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: secretIds.map((secretId) => ({ Ref: logicalIdOf('AWS::SecretsManager::Secret', secretId) })),
        },
      ]) as Json[]),
    );
  });

  test('no wildcard, Scan, Query or batch action anywhere in the template', () => {
    const actions = ofType('AWS::IAM::Policy').flatMap(([, policy]) =>
      (policy.Properties.PolicyDocument.Statement as Json[]).flatMap(actionsOf),
    );
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(action).not.toContain('*');
      expect(action).not.toMatch(/^dynamodb:(Scan|Query|Batch.*|DescribeTable|.*Table)$/);
    }
    const dynamoActions = [...new Set(actions.filter((action) => action.startsWith('dynamodb:')))].sort();
    // The item actions are the functions'; the stream actions only the EmailVerified pipe's.
    expect(dynamoActions).toEqual([...TABLE_ACTIONS, ...STREAM_ACTIONS, 'dynamodb:ListStreams'].sort());
    const secretActions = [...new Set(actions.filter((action) => action.startsWith('secretsmanager:')))];
    expect(secretActions).toEqual(['secretsmanager:GetSecretValue']);
    const sesActions = [...new Set(actions.filter((action) => action.startsWith('ses:')))];
    expect(sesActions).toEqual(['ses:SendEmail']);
  });
});

describe('API Gateway', () => {
  function routes(): Map<string, Json> {
    const pathOf = (ref: Json): string => {
      if (ref['Fn::GetAtt']) return '';
      const resource = resources[ref.Ref as string]!;
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
    };
    return new Map(
      ofType('AWS::ApiGateway::Method').map(([, method]) => [
        `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`,
        method.Properties,
      ]),
    );
  }
  const integrationTarget = (method: Json): string => {
    const uri = JSON.stringify(method.Integration.Uri);
    if (uri.includes(`"${RESEND_CODE_FUNCTION_ID}"`)) return RESEND_CODE_FUNCTION_ID;
    if (uri.includes(`"${RPC_FUNCTION_ID}"`)) return RPC_FUNCTION_ID;
    return uri;
  };

  test('exactly the six routes, Lambda proxy integrations to the right function', () => {
    const table = routes();
    const declared = Object.values(ROUTES);
    expect([...table.keys()].sort()).toEqual(declared.map((route) => `${route.method} ${route.path}`).sort());
    expect(table.size).toBe(6);
    for (const route of declared) {
      const method = table.get(`${route.method} ${route.path}`)!;
      expect(method.Integration.Type).toBe('AWS_PROXY');
      expect(method.Integration.IntegrationHttpMethod).toBe('POST');
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.OperationName).toBe(route.operationName);
      expect(integrationTarget(method)).toBe(FUNCTIONS[route.api].logicalId);
    }
  });

  test('IAM routes require the Authorization header; a missing one is the service 401/406', () => {
    const [[validatorId]] = ofType('AWS::ApiGateway::RequestValidator') as [[string, Json]];
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const table = routes();
    for (const route of Object.values(ROUTES)) {
      const method = table.get(`${route.method} ${route.path}`)!;
      if (route.auth === 'bearer-token') {
        expect(method.RequestParameters).toEqual({ 'method.request.header.Authorization': true });
        expect(method.RequestValidatorId).toEqual({ Ref: validatorId });
      } else {
        // RPC routes authenticate by signature in the parameters; the page by its link token.
        expect(method.RequestParameters).toBeUndefined();
      }
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_PARAMETERS',
      StatusCode: '401',
      ResponseTemplates: {
        'application/json': Match.serializedJson({
          group: 'user',
          code: 406,
          message: 'Invalid email verification token.',
        }),
      },
    });
  });

  test("a method or path the API lacks is a JSON 404 listing the routes, as the local bridge answers", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseParameters: {
        'gatewayresponse.header.Content-Type': "'application/json'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      },
      ResponseTemplates: { 'application/json': Match.serializedJson(NO_ROUTE_BODY) },
    });
    expect(NO_ROUTE_BODY.routes).toEqual(Object.values(ROUTES).map((route) => `${route.method} ${route.path}`));
    // A VTL template: nothing in the body may be read as a variable or a directive.
    expect(JSON.stringify(NO_ROUTE_BODY)).not.toMatch(/[$#]/);
  });

  test('stage prod: throttling, JSON access logs without secrets, error-only execution logs', () => {
    const [[, stage]] = ofType('AWS::ApiGateway::Stage') as [[string, Json]];
    expect(stage.Properties.StageName).toBe('prod');
    expect(stage.Properties.MethodSettings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
        expect.objectContaining({
          HttpMethod: 'POST',
          ResourcePath: '/~1api~1v1~1users~1email-verification-code',
          ThrottlingRateLimit: 25,
          ThrottlingBurstLimit: 50,
        }),
      ]),
    );
    for (const setting of stage.Properties.MethodSettings as Json[]) expect(setting.DataTraceEnabled).not.toBe(true);

    const accessLogs = logicalIdOf('AWS::Logs::LogGroup', 'EmailVerificationApiAccessLogs');
    expect(stage.Properties.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [accessLogs, 'Arn'] });
    const format = stage.Properties.AccessLogSetting.Format as string;
    expect(Object.keys(JSON.parse(format))).toEqual(
      expect.arrayContaining(['requestId', 'ip', 'httpMethod', 'resourcePath', 'status', 'requestTime']),
    );
    expect(format).not.toMatch(/\$input|body|authorization|querystring|\$context\.authorizer/i);
  });

  test('outputs: API URL, table name, secret ARNs, alarm topic, dashboard, configuration set, where the EmailVerified events go', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ApiUrl',
        'DashboardName',
        'OtpHashSecretArn',
        'RpcAccessKeysSecretArn',
        'SesConfigurationSetName',
        'SesIdentityArns',
        'TableName',
        'TokenSigningSecretArn',
        'EmailVerifiedEventBusArn',
        'EmailVerifiedEventSource',
        'EmailVerifiedDeadLetterQueueUrl',
      ].sort(),
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    const findings = report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('the checker is live: an unacknowledged finding is reported', () => {
    const scratch = new App();
    const other = new Stack(scratch, 'Other');
    new Secret(other, 'Unrotated');
    const report = new AwsSolutionsChecks(scratch).validateScope(other);
    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-SMG4');
  });

  test('every acknowledgment carries a reason', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, unknown>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(JSON.stringify(reason).length).toBeGreaterThan(80);
    }
  });
});

describe('stack props', () => {
  // No bundling here: only the IAM and API wiring is under test.
  const build = (props: Partial<ConstructorParameters<typeof EmailVerificationStack>[2]>) => {
    const scratch = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
    const built = new EmailVerificationStack(scratch, 'Scratch', { mailFrom: MAIL_FROM, allowUnverifiableSender: true, ...props });
    return { built, template: Template.fromStack(built), scratch };
  };

  test('display-name sender, explicit SES identity, setting overrides, WAF association', () => {
    const identity = 'arn:aws:ses:eu-west-1:123456789012:identity/mail.example.org';
    const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api/0000';
    const { built, template: scratchTemplate, scratch } = build({
      mailFrom: 'Example Sign-up <hello@Mail.Example.org>',
      sesIdentityArn: identity,
      settings: { RESEND_COOLDOWN_SECONDS: 30, OTP_TTL_SECONDS: 300, RPC_MAX_EMAILS: 20 },
      webAclArn,
    });
    scratchTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'ses:SendEmail',
            // The given identity, and the stack's configuration set (checked in full above).
            Resource: [identity, Match.objectLike({ 'Fn::Join': Match.anyValue() })],
            // The domain as the mailer sends it (lower case, punycode), so the condition matches its Source.
            Condition: { StringEquals: { 'ses:FromAddress': 'hello@mail.example.org' } },
          },
        ]),
      },
    });
    scratchTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAIL_FROM: 'Example Sign-up <hello@Mail.Example.org>',
          RESEND_COOLDOWN_SECONDS: '30',
          RESEND_MAX_PER_WINDOW: '5',
          OTP_TTL_SECONDS: '300',
          RPC_MAX_EMAILS: '20',
        }),
      },
    });
    scratchTemplate.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    expect(JSON.stringify(scratchTemplate.toJSON())).not.toContain('JWT_SIGNING_KEY');
    expect(new AwsSolutionsChecks(scratch).validateScope(built).violations).toEqual([]);
  });

  test('PRODUCT_NAME and the mail templates: checked at synthesis, bundled with both functions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stack-templates-'));
    try {
      mkdirSync(path.join(dir, 'zh'));
      writeFileSync(path.join(dir, 'zh', 'subject.txt'), '【{{product}}】验证码\n');
      // Bundled for real (this stack only): the folder must be inside each function's asset.
      const scratch = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': ['Templated'] } });
      const built = new EmailVerificationStack(scratch, 'Templated', {
        mailFrom: MAIL_FROM,
        allowUnverifiableSender: true,
        productName: 'Acme Shop',
        mailTemplatesDir: dir,
      });
      const functions = Object.values(Template.fromStack(built).findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(2);
      const assembly = scratch.synth();
      for (const fn of functions) {
        expect(fn.Properties.Environment.Variables).toMatchObject({ PRODUCT_NAME: 'Acme Shop', MAIL_TEMPLATES_DIR: '/var/task/mail-templates' });
        const assetHash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
        const bundled = path.join(assembly.directory, `asset.${assetHash}`, 'mail-templates', 'zh', 'subject.txt');
        expect(readFileSync(bundled, 'utf8')).toBe('【{{product}}】验证码\n');
      }

      // The same by setting name (context -c PRODUCT_NAME=... -c MAIL_TEMPLATES_DIR=...), and unset.
      const bySetting = build({ settings: { PRODUCT_NAME: 'Acme by setting', MAIL_TEMPLATES_DIR: dir } }).template;
      bySetting.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ PRODUCT_NAME: 'Acme by setting', MAIL_TEMPLATES_DIR: '/var/task/mail-templates' }) },
      });
      build({}).template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ PRODUCT_NAME: 'Example App', MAIL_TEMPLATES_DIR: '' }) },
      });

      // A template that cannot be used fails synthesis with its file, line and reason.
      writeFileSync(path.join(dir, 'zh', 'body.html'), '<p>{{code}}</p>\n<a href="{{email}}">x</a>');
      expect(() => build({ mailTemplatesDir: dir })).toThrow(/zh\/body\.html, line 2: \{\{email\}\} would start the URL in href=/);
      writeFileSync(path.join(dir, 'zh', 'body.html'), '<p>{{code}}，{{minutes}} 分钟</p>');
      expect(() => build({ mailTemplatesDir: dir, settings: { OTP_TTL_SECONDS: 90 } })).toThrow(/\{\{minutes\}\} needs a code lifetime of whole minutes/);
      expect(() => build({ mailTemplatesDir: path.join(dir, 'missing') })).toThrow(/MAIL_TEMPLATES_DIR \(.*missing\) cannot be read/);
      expect(() => build({ productName: 'Acme\nBcc: x@y.z' })).toThrow(/PRODUCT_NAME must be one line of text/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('samLocal: the local key variables are declared, empty, so sam --env-vars can set them', () => {
    const { template: scratchTemplate } = build({ declareLocalKeyVariables: true });
    const functions = scratchTemplate.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(2);
    for (const fn of Object.values(functions)) {
      for (const name of LOCAL_KEY_VARIABLES) expect(fn.Properties.Environment.Variables[name]).toBe('');
    }
  });

  test('the sender must be an address', () => {
    expect(senderAddress('no-reply@example.com')).toBe('no-reply@example.com');
    expect(senderAddress('Name <a@b.example>')).toBe('a@b.example');
    expect(() => senderAddress('not an address')).toThrow(/mailFrom/);
    expect(() => senderAddress('a@b.example, c@d.example')).toThrow(/mailFrom/);
  });
});
