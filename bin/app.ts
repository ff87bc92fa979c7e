#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EmailVerificationStack } from '../lib/email-verification-stack.js';
import { deployedSettingNames, type SettingOverrides } from '../lib/function-environment.js';
import { SETTINGS } from '../src/settings.js';

const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

new EmailVerificationStack(app, 'EmailVerificationStack', {
  description: 'Email verification resend service: API Gateway, two Lambda handlers, DynamoDB, SES',
  // Environment-agnostic unless the CLI resolved an account (synth stays offline without one).
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
  mailFrom: context('mailFrom') ?? SETTINGS.MAIL_FROM.default,
  // Also by their setting names: `-c PRODUCT_NAME=Acme -c MAIL_TEMPLATES_DIR=./mail-templates`.
  productName: context('productName'),
  mailTemplatesDir: context('mailTemplatesDir'),
  // Any function setting by its own name: `-c RESEND_COOLDOWN_SECONDS=30`.
  settings: Object.fromEntries(
    deployedSettingNames().flatMap((name) => (context(name) === undefined ? [] : [[name, context(name)]])),
  ) as SettingOverrides,
  sesIdentityArn: context('sesIdentityArn'),
  publicBaseUrl: context('publicBaseUrl'),
  webAclArn: context('webAclArn'),
  // `npx cdk synth -c samLocal=true`: a template for sam local runs with custom local keys.
  declareLocalKeyVariables: context('samLocal') === 'true' || app.node.tryGetContext('samLocal') === true,
});

// cdk-nag (v3 is a policy-validation plugin, not an aspect): every AwsSolutions finding
// interrupts synthesis unless the construct acknowledges it with a reason
// (`Validations.of(construct).acknowledge(...)` in lib/email-verification-stack.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
