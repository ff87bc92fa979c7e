import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { ApiName } from '../../lambdas/routes.js';
import {
  API_DIMENSION,
  METRIC_DETAIL_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MetricName,
} from '../../src/observability/metrics.js';

const APIS: readonly ApiName[] = ['iam', 'rpc'];

/**
 * The service's own metrics (src/observability/metrics.ts) as CloudWatch holds them: every one
 * under `service, api`, those with a detail also under `service, api, <detail>`.
 */
export function serviceMetric(name: MetricName | 'ColdStart', api: ApiName, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, [API_DIMENSION]: api },
    statistic: 'Sum',
    period,
    label: `${name} (${api})`,
  });
}

/** A metric summed over both APIs; a period without data counts as 0, not as missing. */
export function serviceMetricTotal(name: MetricName, period = Duration.minutes(5)): IMetric {
  const usingMetrics = Object.fromEntries(APIS.map((api) => [api, serviceMetric(name, api, period)]));
  return new MathExpression({
    expression: APIS.map((api) => `FILL(${api}, 0)`).join(' + '),
    usingMetrics,
    period,
    label: name,
  });
}

/** For graphs: one line per API and detail value (a SEARCH, which alarms cannot use). */
export function serviceMetricByDetail(name: MetricName, period = Duration.minutes(5)): IMetric {
  const detail = METRIC_DETAIL_DIMENSIONS[name];
  const schema = ['service', API_DIMENSION, ...(detail ? [detail] : [])].join(',');
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${schema}} MetricName="${name}"', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    label: '',
  });
}

/** The operations the table's item actions use. */
const TABLE_OPERATIONS = [Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM];

/** A per-operation table metric (ThrottledRequests, SystemErrors) summed over the item operations. */
export function tableOperationsTotal(table: Table, metricName: string, period = Duration.minutes(5)): IMetric {
  // Ids of their own per metric name, so two such sums can share a graph.
  const id = (index: number) => `${metricName.charAt(0).toLowerCase()}${metricName.slice(1)}${index}`;
  return new MathExpression({
    expression: TABLE_OPERATIONS.map((_, index) => `FILL(${id(index)}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(
      TABLE_OPERATIONS.map((operation, index) => [
        id(index),
        table.metric(metricName, { dimensionsMap: { TableName: table.tableName, Operation: operation }, statistic: 'Sum', period }),
      ]),
    ),
    period,
    label: `${metricName} (item operations)`,
  });
}
