/**
 * The stack's deploy-time options: the SES identity (created with DKIM, with or without a Route 53
 * zone, or an existing one), the sandbox, the sender checks at synth, and CORS. Synthesized
 * without bundling: only resources, outputs and policies are under test.
 */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CORS_ALLOW_HEADERS } from '../../lambdas/http/cors.js';
import { ROUTES } from '../../lambdas/routes.js';
import {
  EmailVerificationStack,
  MISSING_SENDER,
  RESEND_CODE_FUNCTION_ID,
  RPC_FUNCTION_ID,
  type EmailVerificationStackProps,
} from '../../lib/email-verification-stack.js';
import { sesArn } from '../support/ses-arn.js';

type Json = Record<string, any>;

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as Json).context as Json;

function synth(props: EmailVerificationStackProps) {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailVerificationStack(app, 'Deploy', props);
  const template = Template.fromStack(stack);
  const nag = new AwsSolutionsChecks(app).validateScope(stack);
  return { stack, template, json: template.toJSON() as Json, nag: nag.violations.map((v) => `${v.severity} ${v.ruleName}`) };
}

function ofType(json: Json, type: string): [string, Json][] {
  return Object.entries(json.Resources as Record<string, Json>).filter(([, resource]) => resource.Type === type);
}

/** The ses:SendEmail statement of a function's role. */
function sendStatement(json: Json, functionId: string): Json {
  const roleId = json.Resources[functionId].Properties.Role['Fn::GetAtt'][0] as string;
  const statements = ofType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as Json[]).some((role) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
    .filter((statement) => statement.Action === 'ses:SendEmail');
  expect(statements).toHaveLength(1);
  // Every send also names the stack's configuration set, which SES authorizes too.
  expect(([] as Json[]).concat(statements[0]!.Resource).filter(isConfigurationSet)).toHaveLength(1);
  return statements[0]!;
}

const isConfigurationSet = (resource: Json): boolean => JSON.stringify(resource).includes(':configuration-set/');

const arnOf = (identity: Json | string) => (typeof identity === 'string' ? sesArn(`:identity/${identity}`) : sesArn(':identity/', identity));

/** A statement's identity resources, in a fixed order (the order carries no meaning in a policy). */
const resourcesOf = (statement: Json): Json[] =>
  ([] as Json[]).concat(statement.Resource).filter((resource) => !isConfigurationSet(resource)).sort(sortJson);
const sorted = (items: Json[]) => [...items].sort(sortJson);
const outputNames = (json: Json) => Object.keys(json.Outputs as Json).sort();

describe('the SES identity, created by the stack (sesDomain)', () => {
  test('without a hosted zone: Easy DKIM and MAIL FROM, the DNS records as outputs, the policy names exactly the identity', () => {
    const { json, template, nag } = synth({ sesDomain: 'Example.com', sesMailFromSubdomain: 'mail' });
    template.resourceCountIs('AWS::SES::EmailIdentity', 1);
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      DkimAttributes: { SigningEnabled: true },
      MailFromAttributes: { MailFromDomain: 'mail.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    const [[identityId]] = ofType(json, 'AWS::SES::EmailIdentity') as [[string, Json]];

    expect(outputNames(json)).toEqual(
      expect.arrayContaining(['SesDkimRecord1', 'SesDkimRecord2', 'SesDkimRecord3', 'SesMailFromMxRecord', 'SesMailFromTxtRecord', 'SesIdentityArns']),
    );
    for (const n of [1, 2, 3]) {
      expect(json.Outputs[`SesDkimRecord${n}`].Value).toEqual({
        'Fn::Join': [' ', [{ 'Fn::GetAtt': [identityId, `DkimDNSTokenName${n}`] }, 'CNAME', { 'Fn::GetAtt': [identityId, `DkimDNSTokenValue${n}`] }]],
      });
    }
    expect(JSON.stringify(json.Outputs.SesMailFromMxRecord.Value)).toContain('mail.example.com MX 10 feedback-smtp.');
    expect(json.Outputs.SesMailFromTxtRecord.Value).toBe('mail.example.com TXT "v=spf1 include:amazonses.com ~all"');

    for (const fn of [RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID]) {
      const statement = sendStatement(json, fn);
      expect(resourcesOf(statement)).toEqual([arnOf({ Ref: identityId })]);
      expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@example.com' } });
      expect(json.Resources[fn].Properties.Environment.Variables.MAIL_FROM).toBe('no-reply@example.com');
    }
    expect(nag).toEqual([]);
  });

  test('with a hosted zone: the three DKIM CNAMEs and the MAIL FROM MX and TXT go into it, no DNS outputs', () => {
    const { json, template, nag } = synth({
      sesDomain: 'news.example.com',
      sesMailFromSubdomain: 'bounce',
      hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com.' },
      mailFrom: 'Example News <hello@news.example.com>',
    });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'news.example.com' });
    const [[identityId]] = ofType(json, 'AWS::SES::EmailIdentity') as [[string, Json]];
    const records = ofType(json, 'AWS::Route53::RecordSet').map(([, record]) => record.Properties as Json);
    expect(records).toHaveLength(5);
    for (const record of records) expect(record.HostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
    const cnames = records.filter((record) => record.Type === 'CNAME');
    expect(cnames.map((record) => record.Name).sort(sortJson)).toEqual(
      [1, 2, 3].map((n) => ({ 'Fn::GetAtt': [identityId, `DkimDNSTokenName${n}`] })).sort(sortJson),
    );
    expect(records.find((record) => record.Type === 'MX')).toMatchObject({ Name: 'bounce.news.example.com.' });
    expect(records.find((record) => record.Type === 'TXT')).toMatchObject({
      Name: 'bounce.news.example.com.',
      ResourceRecords: ['"v=spf1 include:amazonses.com ~all"'],
    });
    expect(outputNames(json).filter((name) => name.startsWith('SesDkim') || name.startsWith('SesMailFrom'))).toEqual([]);
    const statement = sendStatement(json, RPC_FUNCTION_ID);
    expect(resourcesOf(statement)).toEqual([arnOf({ Ref: identityId })]);
    expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@news.example.com' } });
    expect(nag).toEqual([]);
  });

  test.each<[string, EmailVerificationStackProps, RegExp]>([
    ['a sender off the domain', { sesDomain: 'example.com', mailFrom: 'a@example.org' }, /not on sesDomain=example.com/],
    ['a sender on a parent domain', { sesDomain: 'mail.example.com', mailFrom: 'a@example.com' }, /not on sesDomain/],
    ['a zone that does not hold the domain', { sesDomain: 'example.com', hostedZone: { hostedZoneId: 'Z1', zoneName: 'example.org' } }, /does not hold sesDomain/],
    ['a malformed zone id', { sesDomain: 'example.com', hostedZone: { hostedZoneId: 'example.com', zoneName: 'example.com' } }, /not a Route 53 hosted zone id/],
    ['a MAIL FROM subdomain without sesDomain', { mailFrom: 'a@corp.dev', sesMailFromSubdomain: 'mail' }, /also give sesDomain/],
    ['a malformed MAIL FROM subdomain', { sesDomain: 'example.com', sesMailFromSubdomain: 'mail.example.com.' }, /subdomain part/],
    ['both a new and an existing identity', { sesDomain: 'example.com', sesIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com' }, /only one/],
  ])('refused at synth: %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('an existing identity', () => {
  test('derived from mailFrom: its domain and address identities, nothing created', () => {
    const { json, template, nag } = synth({ mailFrom: 'Sign-up <no-reply@corp.dev>' });
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(resourcesOf(sendStatement(json, RESEND_CODE_FUNCTION_ID))).toEqual(sorted([arnOf('corp.dev'), arnOf('no-reply@corp.dev')]));
    expect(nag).toEqual([]);
  });

  test('named by sesIdentityArn: exactly it', () => {
    const arn = 'arn:aws:ses:eu-west-1:123456789012:identity/corp.dev';
    const { json } = synth({ mailFrom: 'no-reply@mail.corp.dev', sesIdentityArn: arn });
    expect(resourcesOf(sendStatement(json, RPC_FUNCTION_ID))).toEqual([arn]);
  });

  test.each<[string, EmailVerificationStackProps, RegExp]>([
    ['no sender at all', {}, /No sender address: deploy with -c sesDomain=/],
    ['a documentation domain', { mailFrom: 'no-reply@example.com' }, /reserved domain that SES can never verify/],
    ['a .test domain', { mailFrom: 'no-reply@shop.test' }, /reserved domain/],
    ['an address identity of another sender', { mailFrom: 'a@corp.dev', sesIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/b@corp.dev' }, /not the address identity/],
    ['a domain identity of another domain', { mailFrom: 'a@corp.dev', sesIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/other.dev' }, /not on the domain identity/],
    ['a malformed identity ARN', { mailFrom: 'a@corp.dev', sesIdentityArn: 'corp.dev' }, /not an SES identity ARN/],
    ['a raw non-ASCII local part', { mailFrom: 'Zoë <zoë@corp.dev>' }, /mailFrom: .*must be ASCII/],
  ])('refused at synth: %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('the message for a missing sender names both ways and the opt-out', () => {
    expect(MISSING_SENDER).toMatch(/sesDomain/);
    expect(MISSING_SENDER).toMatch(/mailFrom/);
    expect(MISSING_SENDER).toMatch(/allowUnverifiableSender=true/);
  });

  test('the explicit opt-out synthesizes the placeholder sender for templates never deployed', () => {
    const { json } = synth({ allowUnverifiableSender: true });
    expect(json.Resources[RPC_FUNCTION_ID].Properties.Environment.Variables.MAIL_FROM).toBe('no-reply@example.com');
  });

  test('a non-ASCII display name is accepted: the mailer MIME-encodes it; the policy has the bare address', () => {
    const { json } = synth({ mailFrom: 'Zoë Müller <hello@corp.dev>' });
    expect(json.Resources[RPC_FUNCTION_ID].Properties.Environment.Variables.MAIL_FROM).toBe('Zoë Müller <hello@corp.dev>');
    expect(sendStatement(json, RPC_FUNCTION_ID).Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'hello@corp.dev' } });
  });
});

describe('the SES sandbox', () => {
  test('recipients: their identities join the sender identity under the same FromAddress condition; SES_SANDBOX is set', () => {
    const { json, nag } = synth({ sesDomain: 'corp.dev', sesSandboxRecipients: ['tester@gmail.com', 'qa.corp.dev'] });
    const [[identityId]] = ofType(json, 'AWS::SES::EmailIdentity') as [[string, Json]];
    const statement = sendStatement(json, RPC_FUNCTION_ID);
    expect(resourcesOf(statement)).toEqual(sorted([arnOf({ Ref: identityId }), arnOf('tester@gmail.com'), arnOf('qa.corp.dev')]));
    expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@corp.dev' } });
    expect(json.Resources[RPC_FUNCTION_ID].Properties.Environment.Variables.SES_SANDBOX).toBe('true');
    expect(nag).toEqual([]);
  });

  test('"*": any verified identity, still only as the sender, acknowledged for cdk-nag with the reason', () => {
    const { json, stack, nag } = synth({ sesDomain: 'corp.dev', sesSandboxRecipients: ['*'] });
    const statement = sendStatement(json, RESEND_CODE_FUNCTION_ID);
    expect(resourcesOf(statement)).toContainEqual(arnOf('*'));
    expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@corp.dev' } });
    expect(nag).toEqual([]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, unknown>));
    expect(acknowledged.filter((id) => id.includes('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]'))).toHaveLength(2);
  });

  test('out of the sandbox: no recipient identities, SES_SANDBOX false', () => {
    const { json } = synth({ sesDomain: 'corp.dev' });
    expect(resourcesOf(sendStatement(json, RPC_FUNCTION_ID))).toHaveLength(1);
    expect(json.Resources[RPC_FUNCTION_ID].Properties.Environment.Variables.SES_SANDBOX).toBe('false');
  });

  test('SES_SANDBOX=true without recipients is refused with what to add', () => {
    expect(() => synth({ sesDomain: 'corp.dev', settings: { SES_SANDBOX: true } })).toThrow(/sesSandboxRecipients=/);
  });
});

describe('CORS (CORS_ALLOWED_ORIGINS)', () => {
  const corsRoutes = Object.values(ROUTES).filter((route) => 'cors' in route && route.cors);

  function optionsMethods(json: Json): Json[] {
    return ofType(json, 'AWS::ApiGateway::Method')
      .map(([, method]) => method.Properties as Json)
      .filter((method) => method.HttpMethod === 'OPTIONS');
  }

  test('off by default: no OPTIONS method, gateway responses without CORS headers', () => {
    const { json } = synth({ sesDomain: 'corp.dev' });
    expect(optionsMethods(json)).toEqual([]);
    for (const [, response] of ofType(json, 'AWS::ApiGateway::GatewayResponse')) {
      expect(JSON.stringify(response.Properties.ResponseParameters ?? {})).not.toContain('Access-Control');
    }
  });

  test('several origins: a mock preflight on each IAM resource, the origin echoed by gateway responses, the functions told', () => {
    const origins = 'https://app.corp.dev,http://localhost:5173';
    const { json, nag } = synth({ sesDomain: 'corp.dev', settings: { CORS_ALLOWED_ORIGINS: origins } });
    const preflights = optionsMethods(json);
    expect(preflights).toHaveLength(corsRoutes.length);
    for (const method of preflights) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.Integration.Type).toBe('MOCK');
      const response = (method.Integration.IntegrationResponses as Json[])[0]!;
      expect(response.StatusCode).toBe('204');
      expect(response.ResponseParameters).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': "'https://app.corp.dev'",
        'method.response.header.Access-Control-Allow-Headers': `'${CORS_ALLOW_HEADERS.join(',')}'`,
        'method.response.header.Access-Control-Allow-Methods': "'OPTIONS,POST'",
        'method.response.header.Vary': "'Origin'",
      });
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Credentials']).toBeUndefined();
      // The second origin is answered by the template when it is the request's.
      expect(JSON.stringify(response.ResponseTemplates)).toContain('http://localhost:5173');
    }
    const gatewayResponses = new Map(
      ofType(json, 'AWS::ApiGateway::GatewayResponse').map(([, response]) => [response.Properties.ResponseType as string, response.Properties as Json]),
    );
    expect([...gatewayResponses.keys()].sort()).toEqual(['BAD_REQUEST_PARAMETERS', 'DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN']);
    for (const response of gatewayResponses.values()) {
      expect(response.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Origin'",
      });
    }
    // The missing-Authorization 401 keeps its own headers and body.
    expect(gatewayResponses.get('BAD_REQUEST_PARAMETERS')!.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe("'Bearer'");
    for (const fn of [RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID]) {
      expect(json.Resources[fn].Properties.Environment.Variables.CORS_ALLOWED_ORIGINS).toBe(origins);
    }
    expect(nag).toEqual([]);
  });

  test('one origin: fixed in the gateway responses', () => {
    const { template } = synth({ sesDomain: 'corp.dev', settings: { CORS_ALLOWED_ORIGINS: 'https://app.corp.dev' } });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.corp.dev'" }),
    });
  });

  test.each(['https://app.corp.dev/', '*,https://app.corp.dev', 'app.corp.dev'])('%j is refused at synth', (origins) => {
    expect(() => synth({ sesDomain: 'corp.dev', settings: { CORS_ALLOWED_ORIGINS: origins } })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });
});

function sortJson(a: unknown, b: unknown): number {
  return JSON.stringify(a).localeCompare(JSON.stringify(b));
}
