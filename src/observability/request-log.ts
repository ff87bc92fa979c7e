import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { SETTINGS, type SettingValue } from '../settings.js';

/** Fields a route adds to its request's log line: masked addresses and outcome codes, never secrets. */
export type LogFields = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface LoggedContext extends Context {
  logFields: LogFields;
}

/** The log fields of the request `context` belongs to, for a route to add to. */
export function logFieldsOf(context: Context): LogFields {
  return ((context as LoggedContext).logFields ??= {});
}

type Write = (line: string) => void;

const LOG_LEVELS = SETTINGS.LOG_LEVEL.choices;
export type LogLevel = SettingValue<'LOG_LEVEL'>;

/**
 * One structured JSON line per request, with the request id, route, status and duration.
 * Nothing here reads headers or bodies, so tokens, codes and signatures cannot reach the log.
 */
export function requestLog(
  service: string,
  minimumLevel: LogLevel = 'info',
  write: Write = (line) => console.log(line),
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext> {
  const started = new WeakMap<object, number>();
  const emit = (
    event: APIGatewayProxyEvent,
    context: LoggedContext,
    statusCode: number | undefined,
    error?: Error,
  ) => {
    const begin = started.get(context) ?? Date.now();
    const level: LogLevel = statusCode === undefined || statusCode >= 500 ? 'error' : 'info';
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(minimumLevel)) return;
    write(
      JSON.stringify({
        level,
        service,
        requestId: event.requestContext?.requestId ?? context.awsRequestId,
        lambdaRequestId: context.awsRequestId,
        method: event.httpMethod,
        path: event.path,
        statusCode,
        durationMs: Date.now() - begin,
        ...context.logFields,
        ...(error ? { error: error.name } : {}),
      }),
    );
  };
  return {
    before: (request) => {
      request.context.logFields = {};
      started.set(request.context, Date.now());
    },
    after: (request) => emit(request.event, request.context, request.response?.statusCode),
    onError: (request) => {
      // Runs after the error mapper has turned the error into a response.
      emit(request.event, request.context, request.response?.statusCode, request.error ?? undefined);
    },
  };
}
