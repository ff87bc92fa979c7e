import { Duration, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ApiName } from '../../lambdas/routes.js';
import type { MailConfigurationSet } from './mail-configuration-set.js';
import { ServiceDashboard } from './service-dashboard.js';
import { serviceMetricTotal, tableOperationsTotal } from './service-metrics.js';

export interface OperationsProps {
  readonly functions: Readonly<Record<ApiName, IFunction>>;
  readonly stage: Stage;
  readonly table: Table;
  readonly mail: MailConfigurationSet;
  /** An address to subscribe to the alarm topic (it must confirm the subscription). */
  readonly alarmEmail?: string;
  /** Alarms of other constructs: they notify the topic too and show on the dashboard. */
  readonly otherAlarms?: readonly Alarm[];
}

/** One alarm as an operator reads it: what it watches, when it fires and why there, what to do. */
export interface AlarmDeclaration {
  readonly id: string;
  readonly metric: IMetric;
  readonly threshold: number;
  /** Consecutive periods looked at, and how many of them must breach (default 1 of 1). */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly meaning: string;
  readonly why: string;
  readonly action: string;
}

/**
 * What a team on call needs to run the service: one encrypted SNS topic that every alarm
 * notifies (subscribe with `-c alarmEmail=...`; other constructs add their alarms to it through
 * `alarmTopic`), the alarms, each with its threshold, reason and remedy in its description, and
 * the dashboard.
 */
export class Operations extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Readonly<Record<string, Alarm>>;
  readonly dashboard: ServiceDashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = this.createTopic(props.alarmEmail);
    const alarms: Record<string, Alarm> = {};
    for (const declaration of alarmDeclarations(props)) alarms[declaration.id] = this.addAlarm(declaration);
    this.alarms = alarms;
    for (const alarm of props.otherAlarms ?? []) this.notify(alarm);
    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      ...props,
      alarms: [...Object.values(alarms), ...(props.otherAlarms ?? [])],
    });
  }

  /**
   * An alarm that notifies the topic when it fires and when it recovers. Missing data is not a
   * breach: no traffic is not an incident.
   */
  addAlarm(declaration: AlarmDeclaration): Alarm {
    const alarm = new Alarm(this, declaration.id, {
      alarmName: `${Stack.of(this).stackName}-${declaration.id}`,
      alarmDescription: `${declaration.meaning} Threshold: ${declaration.why} What to do: ${declaration.action}`,
      metric: declaration.metric,
      threshold: declaration.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: declaration.evaluationPeriods ?? 1,
      datapointsToAlarm: declaration.datapointsToAlarm ?? declaration.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
    return alarm;
  }

  /** Makes `alarm` notify the topic when it fires and when it recovers. */
  notify(alarm: Alarm): void {
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private createTopic(alarmEmail: string | undefined): Topic {
    // A customer-managed key: CloudWatch cannot publish to a topic under the AWS-managed SNS key,
    // whose policy cannot grant it.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm notifications of the email verification service',
      enableKeyRotation: true,
    });
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Email verification service alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so the alarms of this account need a grant.
    const { account, region, partition } = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (alarmEmail) topic.addSubscription(new EmailSubscription(alarmEmail));
    return topic;
  }
}

/** Every alarm of the service, with its threshold and the reason for it. */
function alarmDeclarations(props: OperationsProps): AlarmDeclaration[] {
  const fiveMinutes = Duration.minutes(5);
  const functionAlarms = (Object.entries(props.functions) as [ApiName, IFunction][]).flatMap(([api, fn]) => {
    const name = api === 'iam' ? 'Iam' : 'Rpc';
    return [
      {
        id: `${name}FunctionErrors`,
        metric: fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        meaning: `The ${api} function failed an invocation: a crash, a timeout or a failed cold start (configuration, Secrets Manager).`,
        why: 'any error (1 in 5 minutes): the handlers answer every expected failure themselves, so an invocation error is always a request lost to a 502 or 504.',
        action: `Read the ${api} function's log group for ERROR lines and the X-Ray trace of the failed request; a cold-start failure names the setting or secret it could not read.`,
      },
      {
        id: `${name}FunctionThrottles`,
        metric: fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        meaning: `Lambda refused invocations of the ${api} function: its reserved concurrency was full.`,
        why: 'any throttle (1 in 5 minutes): a throttled request never reaches the handler and its caller gets a 5xx from API Gateway.',
        action: `If the traffic is legitimate, raise the ${api} reserved concurrency (-c ${api}ReservedConcurrency=N) and, for sends, the SES sending quota with it; if it is abuse, lower the API stage throttling or attach a WAF web ACL (-c webAclArn=...).`,
      },
    ] satisfies AlarmDeclaration[];
  });
  const sixHours = Duration.hours(6);
  return [
    ...functionAlarms,
    {
      id: 'ApiServerErrors',
      metric: props.stage.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 5,
      meaning: 'The API answered 5xx: a handler reported a failed stage (IAM 500, RPC InternalError), crashed, timed out or was throttled.',
      why: '5 in 5 minutes: a verification service answers almost no 5xx, and a single one is already covered by the function alarms; five mean users are failing to sign up.',
      action: 'Open the dashboard: SendFailures by stage names the dependency (DynamoDB stages or send-mail for SES); the request log lines at ERROR carry the request id that the 5xx answer reported.',
    },
    {
      id: 'ApiLatencyP99',
      metric: props.stage.metricLatency({ period: fiveMinutes, statistic: 'p99' }),
      threshold: 5000,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      meaning: 'The slowest 1% of API requests take 5 seconds or more.',
      why: 'p99 >= 5000 ms in 2 of 3 five-minute periods: a resend is a DynamoDB write and an SES call (well under a second) and a batch of 50 about two seconds, so 5 s means a dependency is slow or retrying, long before the 29 s integration timeout turns it into 504s.',
      action: 'Compare IntegrationLatency and the functions\' Duration on the dashboard, then the X-Ray traces of slow requests: they show whether SES, DynamoDB or Secrets Manager (cold starts) takes the time.',
    },
    {
      id: 'TableThrottledRequests',
      metric: tableOperationsTotal(props.table, 'ThrottledRequests'),
      threshold: 5,
      meaning: 'DynamoDB throttled reads or writes of the verification table.',
      why: '5 in 5 minutes: the SDK retries a lone throttle and the request succeeds; five mean a hot item (one access key\'s daily counter, one address hammered) or traffic above on-demand\'s instant capacity, and requests start to fail.',
      action: 'Check the dashboard\'s DynamoDB capacity for a spike; a spike of RPC traffic from one access key points at its daily counter: lower RPC_MAX_VERIFICATIONS_PER_DAY or the stage throttling for that client.',
    },
    {
      id: 'TableSystemErrors',
      metric: tableOperationsTotal(props.table, 'SystemErrors'),
      threshold: 1,
      meaning: 'DynamoDB answered internal server errors for the verification table.',
      why: 'any (1 in 5 minutes): these are DynamoDB\'s own faults; each one the SDK could not retry away is a failed request.',
      action: 'Check the AWS Health Dashboard for DynamoDB in this region; nothing is lost (a failed send is not charged), so users can retry once it clears.',
    },
    {
      id: 'SesBounceRate',
      metric: props.mail.ratePercent('Bounce', sixHours),
      threshold: 2,
      meaning: '2% or more of the mails sent through the configuration set in 6 hours bounced.',
      why: `2% over 6 hours (from 100 sends on): SES puts an account under review at a 5% bounce rate; 2% warns while there is time to act. Bounced addresses are suppressed already, so a high rate means many new bad addresses.`,
      action: 'Look for the source of bad addresses: a sign-up form without typo checks, or someone feeding lists to SubmitEmailVerification (RPC traffic by access key, MailsSent by API). Slow it with lower quotas or the stage throttling.',
    },
    {
      id: 'SesComplaintRate',
      metric: props.mail.ratePercent('Complaint', sixHours),
      threshold: 0.05,
      meaning: '0.05% or more of the mails sent through the configuration set in 6 hours were marked as spam.',
      why: `0.05% over 6 hours (from 100 sends on): SES reviews an account at a 0.1% complaint rate; half of that leaves time to act. A verification mail nobody asked for is what draws complaints.`,
      action: 'Someone is starting verifications for addresses that did not sign up: find the access key or client (RPC QuotaRefusals and MailsSent by API, API access logs by IP) and stop it; check that the mail names the product and the request.',
    },
    {
      id: 'SendFailureSpike',
      metric: serviceMetricTotal('SendFailures', fiveMinutes),
      threshold: 5,
      meaning: 'Mails due to go out were not sent (IAM email 0 / user 401-405, RPC SendEmailFailed / InternalError).',
      why: '5 in 5 minutes, both APIs: a failed send is answered and charged nothing, so a user just retries; five mean SES refuses (sandbox, unverified or paused sender, sending quota) or DynamoDB fails, and sign-ups stall.',
      action: 'SendFailures by stage on the dashboard names the stage: send-mail is SES (check the sending quota, the sender identity and the account status in the SES console); the other stages are DynamoDB or the signing key.',
    },
  ];
}
