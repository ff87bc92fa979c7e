import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EMAIL_VERIFIED_DETAIL_TYPE,
  EMAIL_VERIFIED_FILTER_PATTERN,
  EMAIL_VERIFIED_INPUT_TEMPLATE,
  checkEventSource,
} from '../../src/adapters/email-verified-event.js';

export interface VerifiedEventsProps {
  /** The verification table; it must have a stream with both images. */
  readonly table: ITable;
  /** Where the events go. */
  readonly eventBus: IEventBus;
  /** The events' `source`. */
  readonly source: string;
  /** Notified when the dead-letter queue holds anything. */
  readonly alarmTopic?: ITopic;
}

/**
 * How long the dead-letter queue keeps a message: SQS's maximum, so a failure found after a long
 * weekend is still there to replay.
 */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * Record-level retry limits. Failures of the pipe service itself are retried without limit;
 * these bound failures of the target (the bus refusing, a permission removed). Six hours leaves
 * the failed batch readable in the stream (24 h retention) for most of a day after it lands in
 * the dead-letter queue.
 */
const MAX_RETRY_ATTEMPTS = 185;
const MAX_RECORD_AGE = Duration.hours(6);

/**
 * The EmailVerified event: an EventBridge pipe from the table's stream to an event bus, keeping
 * only records where an address becomes verified and reshaping them into the event's detail (the
 * pattern and template are shared with `npm start`, src/adapters/email-verified-event.ts). No
 * code runs and the request path is untouched: the handlers' one conditional write is the event.
 * Delivery is at least once; what cannot be delivered goes to an encrypted dead-letter queue,
 * watched by an alarm.
 */
export class VerifiedEvents extends Construct {
  readonly pipe: CfnPipe;
  readonly role: Role;
  readonly eventBusArn: string;
  readonly source: string;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: VerifiedEventsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('VerifiedEvents needs the table to have a stream (NEW_AND_OLD_IMAGES)');
    const source = checkEventSource(props.source);
    this.source = source;
    this.eventBusArn = props.eventBus.eventBusArn;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the EmailVerified pipe (cdk-nag only recognises ' +
        'queues named in another queue\'s redrive policy); a dead-letter queue of a dead-letter queue ' +
        'would only move the same messages once more. Its depth alarm is the safety net.',
    });

    this.role = this.pipeRole(streamArn, props.eventBus, this.deadLetterQueue);

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: `${EMAIL_VERIFIED_DETAIL_TYPE} events: verification records that become verified, from the table's stream`,
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // The stream is created with the pipe, so from its start nothing is skipped.
          startingPosition: 'TRIM_HORIZON',
          // PutEvents takes ten entries at a time.
          batchSize: 10,
          maximumRetryAttempts: MAX_RETRY_ATTEMPTS,
          maximumRecordAgeInSeconds: MAX_RECORD_AGE.toSeconds(),
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(EMAIL_VERIFIED_FILTER_PATTERN) }] },
      },
      target: props.eventBus.eventBusArn,
      targetParameters: {
        inputTemplate: EMAIL_VERIFIED_INPUT_TEMPLATE,
        eventBridgeEventBusParameters: { detailType: EMAIL_VERIFIED_DETAIL_TYPE, source },
      },
    });
    // The pipe checks its role when it is created: the policy must be in place first.
    this.pipe.node.addDependency(this.role);

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        `${EMAIL_VERIFIED_DETAIL_TYPE} events could not be delivered: each message in the dead-letter queue ` +
        'names a failed batch of the table\'s stream. See README "Consume the EmailVerified event".',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) this.deadLetterAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /** Read this stream, put on this bus, send to this queue; assumable by Pipes for this account only. */
  private pipeRole(streamArn: string, eventBus: IEventBus, deadLetterQueue: Queue): Role {
    const role = new Role(this, 'PipeRole', {
      description: `EventBridge pipe of the ${EMAIL_VERIFIED_DETAIL_TYPE} events`,
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['events:PutEvents'], resources: [eventBus.eventBusArn] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }));
    Validations.of(role).acknowledge({
      // Only this finding: a wildcard anywhere else in the role is still reported.
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only dynamodb:ListStreams is on "*": it supports no resource-level permission, Pipes needs it to ' +
        'find the stream, and it lists stream ARNs without reading any record. Reading is limited to this ' +
        'table\'s stream, putting to this bus and sending to this queue.',
    });
    return role;
  }
}
