#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EmailVerificationStack } from '../lib/email-verification-stack.js';
import { deployedSettingNames, type SettingOverrides } from '../lib/function-environment.js';

const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const list = (key: string): string[] | undefined =>
  context(key)
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const hostedZoneId = context('hostedZoneId');
const hostedZoneName = context('hostedZoneName');
if ((hostedZoneId === undefined) !== (hostedZoneName === undefined)) {
  throw new Error('Give both -c hostedZoneId=<Z...> and -c hostedZoneName=<zone name> (or neither)');
}
// `npx cdk synth -c samLocal=true`: a template for sam local runs with custom local keys, which
// mails a local SES, so its sender need not be verifiable.
const samLocal = context('samLocal') === 'true';

try {
  new EmailVerificationStack(app, 'EmailVerificationStack', {
    description: 'Email verification resend service: API Gateway, two Lambda handlers, DynamoDB, SES',
    // Environment-agnostic unless the CLI resolved an account (synth stays offline without one).
    env:
      process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
    mailFrom: context('mailFrom'),
    sesDomain: context('sesDomain'),
    sesMailFromSubdomain: context('sesMailFromSubdomain'),
    hostedZone: hostedZoneId && hostedZoneName ? { hostedZoneId, zoneName: hostedZoneName } : undefined,
    sesIdentityArn: context('sesIdentityArn'),
    sesSandboxRecipients: list('sesSandboxRecipients'),
    // Also by their setting names: `-c PRODUCT_NAME=Acme -c MAIL_TEMPLATES_DIR=./mail-templates`.
    productName: context('productName'),
    mailTemplatesDir: context('mailTemplatesDir'),
    allowUnverifiableSender: context('allowUnverifiableSender') === 'true' || samLocal,
    // Any function setting by its own name: `-c RESEND_COOLDOWN_SECONDS=30`, `-c CORS_ALLOWED_ORIGINS=...`.
    settings: Object.fromEntries(
      deployedSettingNames().flatMap((name) => (context(name) === undefined ? [] : [[name, context(name)]])),
    ) as SettingOverrides,
    publicBaseUrl: context('publicBaseUrl'),
    webAclArn: context('webAclArn'),
    alarmEmail: context('alarmEmail'),
    // `-c iamReservedConcurrency=50`, `-c rpcReservedConcurrency=none` (unreserved).
    reservedConcurrency: {
      iam: reservedConcurrency(context('iamReservedConcurrency')),
      rpc: reservedConcurrency(context('rpcReservedConcurrency')),
    },
    // Where the EmailVerified events go and what they say they come from.
    eventBus: context('eventBus'),
    eventSource: context('eventSource'),
    declareLocalKeyVariables: samLocal,
  });
} catch (error) {
  // A refused configuration (no sender, a sender SES cannot verify, a bad setting) is the
  // operator's to fix: its message says how, and a stack trace would only bury it.
  process.stderr.write(`\nerror: ${(error as Error).message}\n\n`);
  process.exit(1);
}

/** A context value as reserved concurrency: a number, `none` (unreserved), or unset (the default). */
function reservedConcurrency(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return value === 'none' ? null : Number(value);
}

// cdk-nag (v3 is a policy-validation plugin, not an aspect): every AwsSolutions finding
// interrupts synthesis unless the construct acknowledges it with a reason
// (`Validations.of(construct).acknowledge(...)` in lib/).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
