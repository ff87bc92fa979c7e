import { Duration, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  Metric,
  TextWidget,
  type Alarm,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ApiName } from '../../lambdas/routes.js';
import type { MailConfigurationSet } from './mail-configuration-set.js';
import { serviceMetric, serviceMetricByDetail, tableOperationsTotal } from './service-metrics.js';

export interface ServiceDashboardProps {
  readonly functions: Readonly<Record<ApiName, IFunction>>;
  readonly stage: Stage;
  readonly table: Table;
  readonly mail: MailConfigurationSet;
  readonly alarms: readonly Alarm[];
}

const APIS: readonly ApiName[] = ['iam', 'rpc'];
const WIDTH = 24;

/**
 * One CloudWatch dashboard, read top to bottom: the alarms, then traffic, refusals, failures,
 * latency, SES reputation and DynamoDB capacity, each row with a line saying what to look for.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const { functions, stage, table, mail } = props;
    const perFunction = (metric: (fn: IFunction) => IMetric) => APIS.map((api) => metric(functions[api]));
    const graph = (title: string, left: IMetric[], options: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {}) =>
      new GraphWidget({ title, left, width: WIDTH / 3, height: 6, ...options });

    this.dashboard = new Dashboard(this, 'Default', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });
    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            '# Email verification service\nAlarms first (their descriptions say what to do), then the service from the outside in. ' +
            'Refusals are the service working (quotas, bad tokens, bad signatures); failures are not.',
          width: WIDTH,
          height: 2,
        }),
      ],
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: WIDTH, height: 4 })],
      heading('Traffic', 'Requests at the API, invocations per function, and what they achieved.'),
      [
        graph('API requests', [stage.metricCount({ statistic: 'Sum' })]),
        graph('Mails sent, verifications', APIS.flatMap((api) => [serviceMetric('MailsSent', api), serviceMetric('Verifications', api)])),
        graph('Invocations', perFunction((fn) => fn.metricInvocations({ statistic: 'Sum' }))),
      ],
      heading('Refusals', 'Quota refusals by limit, rejected tokens (406/407, InvalidToken), signatures by Aliyun code, wrong codes.'),
      [
        graph('Quota refusals', [serviceMetricByDetail('QuotaRefusals')]),
        graph('Token and code rejections', [serviceMetricByDetail('TokenRejections'), serviceMetricByDetail('CodeRejections')]),
        graph('Signature and access key rejections', [serviceMetricByDetail('AuthRejections')]),
      ],
      heading('Failures', 'Sends that failed by stage (send-mail is SES), 5xx answers, function errors and throttles.'),
      [
        graph('Send failures by stage', [serviceMetricByDetail('SendFailures')]),
        graph('API 4xx / 5xx', [stage.metricClientError({ statistic: 'Sum' }), stage.metricServerError({ statistic: 'Sum' })]),
        graph('Function errors and throttles', [
          ...perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
          ...perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })),
        ]),
      ],
      heading('Latency', 'What callers wait (p50, p99), what the functions take, and cold starts.'),
      [
        graph('API latency', [
          stage.metricLatency({ statistic: 'p50' }),
          stage.metricLatency({ statistic: 'p99' }),
          stage.metricIntegrationLatency({ statistic: 'p99' }),
        ]),
        graph('Function duration p99', perFunction((fn) => fn.metricDuration({ statistic: 'p99' }))),
        graph('Cold starts', APIS.map((api) => serviceMetric('ColdStart', api))),
      ],
      heading('SES reputation', 'SES reviews an account at a 5% bounce or 0.1% complaint rate; the alarms warn at 2% and 0.05%.'),
      [
        graph('Account reputation (SES)', [sesReputation('Reputation.BounceRate'), sesReputation('Reputation.ComplaintRate')], {
          leftAnnotations: [
            { value: 0.05, label: 'bounce review (5%)' },
            { value: 0.001, label: 'complaint review (0.1%)' },
          ],
        }),
        graph('Bounce and complaint rate, this service (%)', [
          mail.ratePercent('Bounce', Duration.hours(1)),
          mail.ratePercent('Complaint', Duration.hours(1)),
        ]),
        graph('Mail events', (['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject'] as const).map((event) => mail.metric(event))),
      ],
      heading('DynamoDB', 'Capacity the table consumes (on demand), and its throttles and errors.'),
      [
        graph('Consumed capacity', [
          table.metricConsumedReadCapacityUnits({ statistic: 'Sum' }),
          table.metricConsumedWriteCapacityUnits({ statistic: 'Sum' }),
        ]),
        graph('Throttled requests and system errors', [
          tableOperationsTotal(table, 'ThrottledRequests'),
          tableOperationsTotal(table, 'SystemErrors'),
        ]),
        graph('Write latency (UpdateItem)', [
          table.metricSuccessfulRequestLatency({ dimensionsMap: { TableName: table.tableName, Operation: 'UpdateItem' }, statistic: 'p99' }),
        ]),
      ],
    ];
    for (const row of rows) this.dashboard.addWidgets(...row);
  }
}

function heading(title: string, text: string): IWidget[] {
  return [new TextWidget({ markdown: `## ${title}\n${text}`, width: WIDTH, height: 1 })];
}

/** The account's own reputation figures, as SES computes them (fractions, 0.05 = 5%). */
function sesReputation(metricName: string): Metric {
  return new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
}
