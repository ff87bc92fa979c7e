/**
 * The operational side of the stack as synthesized: the SES configuration set, tracing, reserved
 * concurrency, the alarm topic, every alarm (metric, threshold, action) and the dashboard. The
 * functions are not bundled here (the assets are not under test), so synthesis is quick.
 */
import { readFileSync } from 'node:fs';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_RESERVED_CONCURRENCY } from '../../lib/constructs/service-function.js';
import { EmailVerificationStack, RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID, type EmailVerificationStackProps } from '../../lib/email-verification-stack.js';
import { METRICS_NAMESPACE } from '../../src/observability/metrics.js';

type Json = Record<string, any>;

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as Json).context as Json;

/** `extend` adds to the stack before it is synthesized. */
function build(props: Partial<EmailVerificationStackProps> = {}, extend: (stack: EmailVerificationStack) => void = () => undefined) {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailVerificationStack(app, 'Ops', { mailFrom: 'Example <no-reply@example.com>', allowUnverifiableSender: true, ...props });
  extend(stack);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, Json> };
}

const { app, stack, template, resources } = build({ alarmEmail: 'oncall@example.com' });

function idOf(type: string, prefix: string): string {
  const ids = Object.keys(resources).filter((id) => resources[id]!.Type === type && id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

const topicRef = () => ({ Ref: idOf('AWS::SNS::Topic', 'OperationsAlarmTopic') });
const configurationSetRef = () => ({ Ref: idOf('AWS::SES::ConfigurationSet', 'MailConfigurationSet') });
const tableRef = () => ({ Ref: idOf('AWS::DynamoDB::Table', 'VerificationTable') });
const stageRef = () => ({ Ref: idOf('AWS::ApiGateway::Stage', 'EmailVerificationApiDeploymentStage') });

describe('SES configuration set', () => {
  test('suppresses bounces and complaints, and reports reputation', () => {
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });

  test('publishes send, delivery, bounce, complaint and reject events to CloudWatch under its name', () => {
    template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: configurationSetRef(),
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(['send', 'delivery', 'bounce', 'complaint', 'reject']),
        CloudWatchDestination: {
          DimensionConfigurations: [
            { DimensionName: 'ses:configuration-set', DimensionValueSource: 'messageTag', DefaultDimensionValue: configurationSetRef() },
          ],
        },
      },
    });
  });

  test.each([RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID])('%s sends with it (SES_CONFIGURATION_SET)', (id) => {
    expect(resources[id]!.Properties.Environment.Variables.SES_CONFIGURATION_SET).toEqual(configurationSetRef());
  });
});

describe('tracing and limits', () => {
  test.each([RESEND_CODE_FUNCTION_ID, RPC_FUNCTION_ID])('%s: active X-Ray tracing', (id) => {
    expect(resources[id]!.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  test('the API stage is traced too', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod', TracingEnabled: true });
  });

  test('reserved concurrency: the defaults', () => {
    expect(resources[RESEND_CODE_FUNCTION_ID]!.Properties.ReservedConcurrentExecutions).toBe(DEFAULT_RESERVED_CONCURRENCY.iam);
    expect(resources[RPC_FUNCTION_ID]!.Properties.ReservedConcurrentExecutions).toBe(DEFAULT_RESERVED_CONCURRENCY.rpc);
    expect(DEFAULT_RESERVED_CONCURRENCY).toEqual({ iam: 20, rpc: 5 });
  });

  test('reserved concurrency: chosen per function, or none; never zero', () => {
    const chosen = build({ reservedConcurrency: { iam: 50, rpc: null } }).resources;
    expect(chosen[RESEND_CODE_FUNCTION_ID]!.Properties.ReservedConcurrentExecutions).toBe(50);
    expect(chosen[RPC_FUNCTION_ID]!.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(() => build({ reservedConcurrency: { rpc: 0 } })).toThrow(/rpc function must be a positive integer or none/);
    expect(() => build({ reservedConcurrency: { iam: Number('x') } })).toThrow(/iam function/);
  });
});

describe('alarm topic', () => {
  test('encrypted with a rotated customer key that CloudWatch may use; HTTPS only; CloudWatch of this account may publish', () => {
    const keyId = idOf('AWS::KMS::Key', 'OperationsAlarmTopicKey');
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    expect(resources[keyId]!.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
      ]),
    );
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef(),
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  test('exposed as stack.alarmTopic, for alarms of other constructs', () => {
    expect(stack.resolve(stack.alarmTopic.topicArn)).toEqual(topicRef());
  });

  test('context alarmEmail subscribes an address; without it, nothing is subscribed', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: topicRef() });
    build().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

/** What each alarm must watch: one metric, or the metrics of its expression. */
type Watched =
  | { metric: Json; statistic: Json; period: number }
  | { expression: string | RegExp; metrics: Array<{ namespace: string; name: string; dimensions: Json; period: number; stat: string }> };

const serviceDimensions = (api: string) => [
  { Name: 'api', Value: api },
  { Name: 'service', Value: 'email-verification' },
];
const tableOperations = (name: string) =>
  ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((operation) => ({
    namespace: 'AWS/DynamoDB',
    name,
    dimensions: [
      { Name: 'Operation', Value: operation },
      { Name: 'TableName', Value: tableRef() },
    ],
    period: 300,
    stat: 'Sum',
  }));
const sesEvents = (event: string) =>
  ['Send', event].map((name) => ({
    namespace: 'AWS/SES',
    name,
    dimensions: [{ Name: 'ses:configuration-set', Value: configurationSetRef() }],
    period: 21_600,
    stat: 'Sum',
  }));
const functionMetric = (name: string, fn: string) => ({
  metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }] },
  statistic: { Statistic: 'Sum' },
  period: 300,
});
const stageMetric = (name: string) => ({
  Namespace: 'AWS/ApiGateway',
  MetricName: name,
  Dimensions: [
    { Name: 'ApiName', Value: 'EmailVerificationApi' },
    { Name: 'Stage', Value: stageRef() },
  ],
});

const EXPECTED_ALARMS: Record<string, { watched: Watched; threshold: number; evaluationPeriods?: number; datapointsToAlarm?: number }> = {
  IamFunctionErrors: { watched: functionMetric('Errors', RESEND_CODE_FUNCTION_ID), threshold: 1 },
  RpcFunctionErrors: { watched: functionMetric('Errors', RPC_FUNCTION_ID), threshold: 1 },
  IamFunctionThrottles: { watched: functionMetric('Throttles', RESEND_CODE_FUNCTION_ID), threshold: 1 },
  RpcFunctionThrottles: { watched: functionMetric('Throttles', RPC_FUNCTION_ID), threshold: 1 },
  ApiServerErrors: { watched: { metric: stageMetric('5XXError'), statistic: { Statistic: 'Sum' }, period: 300 }, threshold: 5 },
  ApiLatencyP99: {
    watched: { metric: stageMetric('Latency'), statistic: { ExtendedStatistic: 'p99' }, period: 300 },
    threshold: 5000,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
  },
  TableThrottledRequests: {
    watched: { expression: /^FILL\((\w+), 0\)( \+ FILL\((\w+), 0\)){3}$/, metrics: tableOperations('ThrottledRequests') },
    threshold: 5,
  },
  TableSystemErrors: {
    watched: { expression: /^FILL\((\w+), 0\)( \+ FILL\((\w+), 0\)){3}$/, metrics: tableOperations('SystemErrors') },
    threshold: 1,
  },
  SesBounceRate: {
    watched: { expression: 'IF(sendsForBounce >= 100, 100 * FILL(bounces, 0) / sendsForBounce, 0)', metrics: sesEvents('Bounce') },
    threshold: 2,
  },
  SesComplaintRate: {
    watched: { expression: 'IF(sendsForComplaint >= 100, 100 * FILL(complaints, 0) / sendsForComplaint, 0)', metrics: sesEvents('Complaint') },
    threshold: 0.05,
  },
  SendFailureSpike: {
    watched: {
      expression: 'FILL(iam, 0) + FILL(rpc, 0)',
      metrics: ['iam', 'rpc'].map((api) => ({ namespace: METRICS_NAMESPACE, name: 'SendFailures', dimensions: serviceDimensions(api), period: 300, stat: 'Sum' })),
    },
    threshold: 5,
  },
};

describe('alarms', () => {
  const alarms = () => Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
  const alarmNamed = (name: string) => {
    const found = alarms().filter(([, alarm]) => alarm.Properties.AlarmName === `Ops-${name}`);
    expect(found).toHaveLength(1);
    return found[0]![1].Properties as Json;
  };

  /** The EmailVerified events' own alarm (lib/constructs/verified-events.ts, tested there). */
  const isDeadLetterAlarm = (id: string) => id.startsWith('VerifiedEventsDeadLetterAlarm');

  test('exactly the declared alarms, and the EmailVerified dead-letter alarm', () => {
    expect(alarms().filter(([id]) => !isDeadLetterAlarm(id)).map(([, alarm]) => alarm.Properties.AlarmName).sort()).toEqual(
      Object.keys(EXPECTED_ALARMS).map((name) => `Ops-${name}`).sort(),
    );
    expect(alarms().filter(([id]) => isDeadLetterAlarm(id))).toHaveLength(1);
  });

  test('the EmailVerified dead-letter alarm notifies the same topic, firing and recovering', () => {
    const [[, alarm]] = alarms().filter(([id]) => isDeadLetterAlarm(id)) as [[string, Json]];
    expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[topicRef()], [topicRef()]]);
  });

  test.each(Object.entries(EXPECTED_ALARMS))('%s: metric, threshold, evaluation, topic, description', (name, expected) => {
    const alarm = alarmNamed(name);
    expect(alarm).toMatchObject({
      Threshold: expected.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: expected.evaluationPeriods ?? 1,
      DatapointsToAlarm: expected.datapointsToAlarm ?? 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
    expect(alarm.AlarmDescription).toMatch(/\S.* Threshold: \S.* What to do: \S/);
    const { watched } = expected;
    if ('metric' in watched) {
      expect(alarm).toMatchObject({ ...watched.metric, ...watched.statistic, Period: watched.period });
      expect(alarm.Metrics).toBeUndefined();
      return;
    }
    const [expression, ...metrics] = alarm.Metrics as Json[];
    expect(expression).toMatchObject({ ReturnData: true });
    if (typeof watched.expression === 'string') expect(expression!.Expression).toBe(watched.expression);
    else expect(expression!.Expression).toMatch(watched.expression);
    expect(metrics.map((metric) => metric.MetricStat)).toEqual(
      watched.metrics.map((metric) => ({
        Metric: { Namespace: metric.namespace, MetricName: metric.name, Dimensions: metric.dimensions },
        Period: metric.period,
        Stat: metric.stat,
      })),
    );
    // Every id the expression names is one of its metrics.
    const ids = new Set(metrics.map((metric) => metric.Id as string));
    for (const id of (expression!.Expression as string).match(/\b[a-z]\w*\b/g)!.filter((word) => !['FILL', 'IF'].includes(word))) {
      expect(ids).toContain(id);
    }
  });

  test('an alarm another construct adds notifies the same topic', () => {
    const extra = build({}, (built) =>
      built.operations.addAlarm({
        id: 'ExtraDepth',
        metric: new Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', period: Duration.minutes(5) }),
        threshold: 1,
        meaning: 'A test alarm.',
        why: 'any.',
        action: 'nothing.',
      }),
    );
    const found = Object.values(extra.resources).find((resource) => resource.Properties?.AlarmName === 'Ops-ExtraDepth');
    const topicId = Object.keys(extra.resources).find((id) => id.startsWith('OperationsAlarmTopic') && extra.resources[id]!.Type === 'AWS::SNS::Topic');
    expect(found?.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('dashboard', () => {
  /** The dashboard body with each CloudFormation reference as `<LogicalId>`. */
  function body(): Json {
    const [dashboardId] = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::CloudWatch::Dashboard');
    const parts = resources[dashboardId!]!.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = part as Json;
        return `<${ref.Ref ?? ref['Fn::GetAtt']?.[0]}>`;
      })
      .join('');
    return JSON.parse(text) as Json;
  }

  test('one dashboard, named after the stack', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Ops-operations' });
  });

  test('alarms at the top, then traffic, refusals, failures, latency, SES reputation, DynamoDB', () => {
    const widgets = body().widgets as Json[];
    const alarmWidget = widgets.find((widget) => widget.type === 'alarm')!;
    // Every alarm of the stack, the EmailVerified dead-letter alarm included.
    expect(alarmWidget.properties.alarms).toHaveLength(Object.keys(EXPECTED_ALARMS).length + 1);
    expect(alarmWidget.y).toBeLessThan(Math.min(...widgets.filter((widget) => widget.type === 'metric').map((widget) => widget.y as number)));
    const headings = widgets
      .filter((widget) => widget.type === 'text')
      .map((widget) => /^## (.+)$/m.exec(widget.properties.markdown as string)?.[1])
      .filter(Boolean);
    expect(headings).toEqual(['Traffic', 'Refusals', 'Failures', 'Latency', 'SES reputation', 'DynamoDB']);
  });

  test('the graphs read the service metrics, the stage, the functions, SES and the table', () => {
    const graphs = (body().widgets as Json[]).filter((widget) => widget.type === 'metric');
    const all = JSON.stringify(graphs);
    for (const metric of ['MailsSent', 'Verifications', 'ColdStart']) expect(all).toContain(`["${METRICS_NAMESPACE}","${metric}","api","iam","service","email-verification"`);
    for (const metric of ['QuotaRefusals', 'TokenRejections', 'AuthRejections', 'CodeRejections', 'SendFailures']) {
      expect(all).toContain(`SEARCH('{${METRICS_NAMESPACE},service,api,`);
      expect(all).toContain(`MetricName=\\"${metric}\\"`);
    }
    expect(all).toContain('SEARCH(\'{EmailVerification,service,api,stage} MetricName=\\"SendFailures\\"');
    for (const metric of ['Count', 'Latency', '5XXError', '4XXError', 'IntegrationLatency']) expect(all).toContain(`["AWS/ApiGateway","${metric}","ApiName","EmailVerificationApi"`);
    for (const metric of ['Invocations', 'Errors', 'Throttles', 'Duration']) {
      expect(all).toContain(`["AWS/Lambda","${metric}","FunctionName","<${RESEND_CODE_FUNCTION_ID}>"`);
      expect(all).toContain(`["AWS/Lambda","${metric}","FunctionName","<${RPC_FUNCTION_ID}>"`);
    }
    expect(all).toContain('["AWS/SES","Reputation.BounceRate"');
    expect(all).toContain('["AWS/SES","Reputation.ComplaintRate"');
    for (const event of ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject']) expect(all).toContain(`["AWS/SES","${event}","ses:configuration-set"`);
    expect(all).toContain('"AWS/DynamoDB","ConsumedReadCapacityUnits"');
    expect(all).toContain('"AWS/DynamoDB","ConsumedWriteCapacityUnits"');
    expect(all).toContain('"AWS/DynamoDB","ThrottledRequests"');
  });
});

test('cdk-nag: clean, with the alarm subscription and with unreserved functions', () => {
  expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  const unreserved = build({ reservedConcurrency: { iam: null, rpc: null } });
  expect(new AwsSolutionsChecks(unreserved.app).validateScope(unreserved.stack).violations).toEqual([]);
});

test('README: "Operating it" names every alarm and says where the dashboard is and how to subscribe', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /^## Operating it$([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  expect(section).toBeDefined();
  for (const name of Object.keys(EXPECTED_ALARMS)) expect(section).toContain(`\`${name}\``);
  expect(section).toContain('DeadLetterAlarm');
  expect(section).toContain('alarmEmail');
  expect(section).toContain('-operations');
});
