import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { ServiceLogger } from './logger.js';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { RequestMetrics, type MetricName } from './metrics.js';

/** Fields a route adds to its request's log line: masked addresses and outcome codes, never secrets. */
export type LogFields = Record<string, string | number | boolean | readonly string[] | undefined>;

/** What a route reports about its request: log fields, counted outcomes, debug detail. */
export interface RequestObservation {
  readonly logFields: LogFields;
  readonly metrics: RequestMetrics;
  /** A line written only at LOG_LEVEL=debug (masked addresses only). */
  debug(message: string, fields: LogFields): void;
}

export interface LoggedContext extends Context {
  observation: RequestObservation;
}

/** The observation of the request `context` belongs to, for a route to add to. */
export function observationOf(context: Context): RequestObservation {
  return ((context as LoggedContext).observation ??= detachedObservation());
}

/** The log fields of the request `context` belongs to. */
export function logFieldsOf(context: Context): LogFields {
  return observationOf(context).logFields;
}

/** The metrics of the request `context` belongs to. */
export function metricsOf(context: Context): RequestMetrics {
  return observationOf(context).metrics;
}

/** For a route called outside the middleware (unit tests): records, prints nothing. */
function detachedObservation(): RequestObservation {
  return { logFields: {}, metrics: new RequestMetrics(), debug: () => undefined };
}

export interface RequestObservers {
  readonly logger: ServiceLogger;
  readonly metrics: Metrics;
}

/** Refusals: the caller was told no, which is worth a warning but is not a fault of the service. */
const REFUSALS: readonly MetricName[] = ['QuotaRefusals', 'TokenRejections', 'AuthRejections', 'CodeRejections'];

/**
 * One structured log line per request (request id, route, status, duration, the route's
 * fields) and its metrics, published when the request ends, answered or failed. The line's
 * level says how it went: `error` for a 5xx or a mail that failed to go out (even inside a
 * batch answered 200), `warn` for a refusal (4xx, or a refused address in a batch), `info`
 * otherwise. Nothing here reads headers or bodies, so tokens, codes and signatures cannot reach
 * the log.
 */
export function observeRequests(
  observers: RequestObservers,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext> {
  const { logger, metrics } = observers;
  const started = new WeakMap<object, number>();
  const finish = (event: APIGatewayProxyEvent, context: LoggedContext, statusCode: number | undefined, error?: Error) => {
    const begin = started.get(context) ?? Date.now();
    const observation = observationOf(context);
    const fields = {
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
      method: event.httpMethod,
      path: event.path,
      statusCode,
      durationMs: Date.now() - begin,
      ...observation.logFields,
      ...(error ? { error: error.name } : {}),
    };
    const counted = observation.metrics;
    if (statusCode === undefined || statusCode >= 500 || counted.total('SendFailures') > 0) logger.error('request', fields);
    else if (statusCode >= 400 || REFUSALS.some((name) => counted.total(name) > 0)) logger.warn('request', fields);
    else logger.info('request', fields);
    counted.publish(metrics);
  };
  return {
    before: (request) => {
      // Lambda runs one request at a time per instance, so the logger's context is this
      // request's until it ends. (Under the local bridge's concurrent requests a line may carry
      // a neighbour's Lambda request id; `requestId`, API Gateway's, is always the request's own.)
      logger.addContext(request.context);
      request.context.observation = {
        logFields: {},
        metrics: new RequestMetrics(),
        debug: (message, fields) => logger.debug(message, fields),
      };
      started.set(request.context, Date.now());
    },
    after: (request) => finish(request.event, request.context, request.response?.statusCode),
    onError: (request) => {
      // Runs after the error mapper has turned the error into a response.
      finish(request.event, request.context, request.response?.statusCode, request.error ?? undefined);
    },
  };
}
