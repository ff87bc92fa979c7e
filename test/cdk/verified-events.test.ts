/**
 * The EmailVerified event's resources: the table stream, the pipe (source, filter, template,
 * target, retries, dead-letter queue), the encrypted dead-letter queue, its depth alarm and the
 * pipe's least-privilege role; the stack props that choose the bus and the source; and the
 * construct's optional alarm topic. Synthesized without bundling: no function code matters here.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VerifiedEvents } from '../../lib/constructs/verified-events.js';
import { EmailVerificationStack, type EmailVerificationStackProps } from '../../lib/email-verification-stack.js';
import {
  EMAIL_VERIFIED_FILTER_PATTERN,
  EMAIL_VERIFIED_INPUT_TEMPLATE,
} from '../../src/adapters/email-verified-event.js';

type Json = Record<string, any>;

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as Json).context as Json;

function synth(props: Partial<EmailVerificationStackProps> = {}) {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailVerificationStack(app, 'EventsUnderTest', { mailFrom: 'no-reply@example.com', allowUnverifiableSender: true, ...props });
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, Json> };
}

const { app, stack, template, resources } = synth();

function only(type: string): [string, Json] {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const [tableId] = only('AWS::DynamoDB::Table');
const [queueId, queue] = only('AWS::SQS::Queue');
const [, pipe] = only('AWS::Pipes::Pipe');
const defaultBusArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
};

test('the table streams both images of every change', () => {
  expect(resources[tableId]!.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
});

test('the pipe: the table stream to the default bus, filtered and shaped by the shared definitions', () => {
  const props = pipe.Properties;
  expect(props.Source).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
  expect(props.Target).toEqual(defaultBusArn);
  expect(props.SourceParameters.DynamoDBStreamParameters).toEqual({
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 10,
    MaximumRetryAttempts: 185,
    MaximumRecordAgeInSeconds: 21_600,
    OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
  });
  const filters = props.SourceParameters.FilterCriteria.Filters as Json[];
  expect(filters.map((filter) => JSON.parse(filter.Pattern as string))).toEqual([EMAIL_VERIFIED_FILTER_PATTERN]);
  // Only a verification record whose status goes from pending to verified.
  expect(JSON.parse(filters[0]!.Pattern as string)).toEqual({
    dynamodb: {
      Keys: { pk: { S: [{ prefix: 'EMAIL#' }] } },
      OldImage: { status: { S: ['pending'] } },
      NewImage: { status: { S: ['verified'] } },
    },
  });
  expect(props.TargetParameters).toEqual({
    InputTemplate: EMAIL_VERIFIED_INPUT_TEMPLATE,
    EventBridgeEventBusParameters: { DetailType: 'EmailVerified', Source: 'email-verification-service' },
  });
  // The template names every detail field and nothing that could hold a secret.
  for (const field of ['email', 'verifiedAt', 'method', 'api', 'accessKeyId', 'lang']) expect(props.TargetParameters.InputTemplate).toContain(`"${field}":`);
  expect(props.TargetParameters.InputTemplate).not.toMatch(/otp|salt|hash|token|Ip\b/i);
});

test('the dead-letter queue: SQS-managed encryption, TLS only, 14 days', () => {
  expect(queue.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
    PolicyDocument: {
      Statement: [
        {
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        },
      ],
    },
  });
});

test('the alarm: any message in the dead-letter queue', () => {
  const found = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties.Namespace === 'AWS/SQS');
  expect(found).toHaveLength(1);
  const alarm = found[0]!;
  expect(alarm.Properties).toMatchObject({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
  // The stack's operations wire it to the one alarm topic, as every alarm of the stack.
  const topic = { Ref: Object.keys(resources).find((id) => resources[id]!.Type === 'AWS::SNS::Topic') };
  expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[topic], [topic]]);
});

test("the pipe's role: assumable by Pipes for this account only; read this stream, put on this bus, send to this queue", () => {
  const roleId = pipe.Properties.RoleArn['Fn::GetAtt'][0] as string;
  const role = resources[roleId]!.Properties;
  expect(role.ManagedPolicyArns).toBeUndefined();
  expect(role.Policies).toBeUndefined();
  expect(role.AssumeRolePolicyDocument.Statement).toEqual([
    {
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'pipes.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    },
  ]);
  const policies = Object.entries(resources).filter(
    ([, resource]) => resource.Type === 'AWS::IAM::Policy' && (resource.Properties.Roles as Json[]).some((ref) => ref.Ref === roleId),
  );
  expect(policies).toHaveLength(1);
  const [policyId, policy] = policies[0]!;
  expect(policy.Properties.PolicyDocument.Statement).toEqual([
    {
      Effect: 'Allow',
      Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
    },
    // Supports no resource-level permission; lists stream ARNs, reads nothing.
    { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
    { Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBusArn },
    { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
  ]);
  // The pipe is created once its role can do all that.
  expect(pipe.DependsOn).toEqual(expect.arrayContaining([roleId, policyId]));
});

test('cdk-nag AwsSolutions: nothing unacknowledged', () => {
  expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
});

describe('props', () => {
  test('a bus by name, a bus by ARN, and the source', () => {
    const byName = synth({ eventBus: 'sign-up', eventSource: 'com.example.signup' }).template;
    byName.hasResourceProperties('AWS::Pipes::Pipe', {
      Target: { 'Fn::Join': ['', Match.arrayWith([':event-bus/sign-up'])] },
      TargetParameters: { EventBridgeEventBusParameters: { DetailType: 'EmailVerified', Source: 'com.example.signup' } },
    });
    byName.hasOutput('EmailVerifiedEventSource', { Value: 'com.example.signup' });

    const busArn = 'arn:aws:events:eu-west-1:123456789012:event-bus/central';
    const byArn = synth({ eventBus: busArn }).template;
    byArn.hasResourceProperties('AWS::Pipes::Pipe', { Target: busArn });
    byArn.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }]) },
    });
  });

  test('a source EventBridge would refuse fails the synth', () => {
    expect(() => synth({ eventSource: 'aws.email' })).toThrow(/must be 1 to 256 characters and not start with "aws\."/);
    expect(() => synth({ eventSource: '' })).toThrow(/EmailVerified event source/);
  });

  test('the construct: an alarm topic becomes the alarm action; a table without a stream is refused', () => {
    const scratch = new Stack(new App(), 'Construct');
    const bus = EventBus.fromEventBusName(scratch, 'Bus', 'default');
    const table = new Table(scratch, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING }, stream: StreamViewType.NEW_AND_OLD_IMAGES });
    const topic = new Topic(scratch, 'Alarms');
    new VerifiedEvents(scratch, 'Events', { table, eventBus: bus, source: 'com.example', alarmTopic: topic });
    const alarms = Template.fromStack(scratch).findResources('AWS::CloudWatch::Alarm');
    expect(Object.values(alarms).map((alarm) => alarm.Properties.AlarmActions)).toEqual([[{ Ref: scratch.getLogicalId(topic.node.defaultChild as never) }]]);

    const plain = new Table(scratch, 'Plain', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(() => new VerifiedEvents(scratch, 'NoStream', { table: plain, eventBus: bus, source: 'com.example' })).toThrow(/needs the table to have a stream/);
  });
});
