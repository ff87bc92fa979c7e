import { Duration, Stack } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  CloudWatchDimensionSource,
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/** The SES events the configuration set publishes to CloudWatch, by their metric names. */
export type MailEvent = 'Send' | 'Delivery' | 'Bounce' | 'Complaint' | 'Reject';

/** The CloudWatch dimension SES files each event under: the set's own name, from its auto-tag. */
export const CONFIGURATION_SET_DIMENSION = 'ses:configuration-set';

/** Below this many sends in a rate's window, one bounce or complaint says nothing: the rate reads 0. */
export const RATE_MINIMUM_SENDS = 100;

/**
 * The SES configuration set every mail goes out with. It keeps a resend service from mailing a
 * bad address again and again: an address that bounced or complained lands on the account's
 * suppression list and is not mailed again. Its send, delivery, bounce, complaint and reject
 * events go to CloudWatch (namespace AWS/SES, dimension `ses:configuration-set`), which the
 * bounce and complaint rate alarms read. Reputation metrics are on as well, so SES also
 * reports the set's own reputation figures.
 */
export class MailConfigurationSet extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** What `ses:SendEmail` with this set is authorized against, next to the sender identity. */
  readonly arn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, 'Default', {
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    this.configurationSet.addEventDestination('CloudWatch', {
      destination: EventDestination.cloudWatchDimensions([
        {
          name: CONFIGURATION_SET_DIMENSION,
          source: CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: this.configurationSet.configurationSetName,
        },
      ]),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
      ],
    });
    this.arn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }

  get name(): string {
    return this.configurationSet.configurationSetName;
  }

  /** The count of one event for mail sent with this set. */
  metric(event: MailEvent, period: Duration = Duration.minutes(5)): Metric {
    return new Metric({
      namespace: 'AWS/SES',
      metricName: event,
      dimensionsMap: { [CONFIGURATION_SET_DIMENSION]: this.name },
      statistic: 'Sum',
      period,
    });
  }

  /**
   * Bounces or complaints per 100 sends over `period`, 0 while fewer than RATE_MINIMUM_SENDS
   * went out (a handful of mails makes any single bounce look like a crisis).
   */
  ratePercent(event: 'Bounce' | 'Complaint', period: Duration): IMetric {
    // Ids of their own per event, so both rates can share a graph.
    const [sends, events] = [`sendsFor${event}`, `${event.toLowerCase()}s`];
    return new MathExpression({
      expression: `IF(${sends} >= ${RATE_MINIMUM_SENDS}, 100 * FILL(${events}, 0) / ${sends}, 0)`,
      usingMetrics: { [sends]: this.metric('Send', period), [events]: this.metric(event, period) },
      period,
      label: `${event} rate (%)`,
    });
  }
}
