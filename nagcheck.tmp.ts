import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EmailVerificationStack } from './lib/email-verification-stack.ts';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new EmailVerificationStack(app, 'S', { mailFrom: 'a@example.com', alarmEmail: 'ops@example.com' });
const report = new AwsSolutionsChecks(app).validateScope(stack);
console.log(report.violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources.map((r) => r.locations))}`));
// which acknowledgements are there
console.log(stack.node.findAll().flatMap((c) => c.node.metadata).filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((e) => Object.keys(e.data as object)));
