import type { Context } from 'aws-lambda';
import type { SettingValue } from '../settings.js';
import { METRICS_SERVICE } from './metrics.js';

export type LogLevel = SettingValue<'LOG_LEVEL'>;

/** Fields of a log line besides the standard ones; an Error is written as name, location, message, stack. */
export type LogAttributes = Readonly<Record<string, unknown>>;

/**
 * The one log format of the service: a JSON line per entry with `level`, `message`, `timestamp`,
 * `service`, the Lambda context once a request has begun (`cold_start`, `function_arn`,
 * `function_memory_size`, `function_name`, `function_request_id`), `xray_trace_id`, the logger's
 * persistent keys (`api`), then the entry's own fields. These are the keys and the layout of
 * Powertools for AWS Lambda's Logger, so queries written for one read the other; the service
 * writes them itself because Powertools' Logger adds 18 KB to each bundle and about 5 ms of CPU
 * to each cold start for this one format (README, "Cold start and bundle size").
 *
 * `LOG_LEVEL` is the threshold: `debug` adds per-address detail, `info` one line per request,
 * `warn` only refused requests and above, `error` only failures, `silent` nothing (metrics are
 * not logs: their EMF lines still go out, since the alarms read them). DEBUG and INFO go to
 * stdout, WARN and ERROR to stderr, as Powertools does; Lambda sends both to CloudWatch.
 */
export interface ServiceLogger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, detail?: Error | string | LogAttributes): void;
  /** A logger that adds `persistentKeys` to every line, with this one's threshold and context. */
  createChild(options: { persistentKeys: LogAttributes }): ServiceLogger;
  /**
   * The Lambda context of the request now running: its fields go on every later line, of this
   * logger, the one it was made from and every other child of that one.
   */
  addContext(context: Context): void;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const satisfies Record<LogLevel, number>;
type EntryLevel = Exclude<LogLevel, 'silent'>;

// The first request a process serves is its cold start (Lambda starts a process per environment);
// a provisioned environment was initialized before any request waited for it.
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

export function createServiceLogger(level: LogLevel): ServiceLogger {
  return new JsonLogger(LEVELS[level], { service: METRICS_SERVICE }, { fields: {} });
}

/**
 * The request context, one per logger family: the request log adds it through its API's child,
 * and a line the shared dependencies write (a failed revert) carries the same request's ids.
 * Lambda runs one request at a time per instance.
 */
interface RequestContext {
  fields: LogAttributes;
}

class JsonLogger implements ServiceLogger {
  constructor(
    private readonly threshold: number,
    private readonly persistent: LogAttributes,
    private readonly context: RequestContext,
  ) {}

  debug(message: string, attributes?: LogAttributes): void {
    this.write('debug', message, attributes);
  }

  info(message: string, attributes?: LogAttributes): void {
    this.write('info', message, attributes);
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.write('warn', message, attributes);
  }

  error(message: string, detail?: Error | string | LogAttributes): void {
    if (detail instanceof Error) this.write('error', message, { error: errorFields(detail) });
    else if (typeof detail === 'string') this.write('error', message, { extra: detail });
    else this.write('error', message, detail);
  }

  createChild(options: { persistentKeys: LogAttributes }): ServiceLogger {
    return new JsonLogger(this.threshold, { ...this.persistent, ...options.persistentKeys }, this.context);
  }

  addContext(context: Context): void {
    this.context.fields = {
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    coldStart = false;
  }

  private write(level: EntryLevel, message: string, attributes: LogAttributes | undefined): void {
    if (LEVELS[level] < this.threshold) return;
    const { service, ...persistent } = this.persistent;
    const line = JSON.stringify(
      {
        level: level.toUpperCase(),
        message,
        timestamp: new Date().toISOString(),
        service,
        ...this.context.fields,
        xray_trace_id: traceId(),
        ...persistent,
        ...attributes,
      },
      (_key, value: unknown) => (value instanceof Error ? errorFields(value) : value),
    );
    (LEVELS[level] >= LEVELS.warn ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

/** The Root of Lambda's trace header, which it sets per invocation. */
function traceId(): string | undefined {
  return process.env._X_AMZN_TRACE_ID?.match(/Root=([^;]+)/)?.[1];
}

function errorFields(error: Error): Record<string, unknown> {
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  const location = frame?.match(/\(?([^\s()]+):(\d+):\d+\)?$/);
  return {
    name: error.name,
    location: location ? `${location[1]}:${location[2]}` : '',
    message: error.message,
    stack: error.stack,
    ...(error.cause instanceof Error ? { cause: errorFields(error.cause) } : {}),
  };
}
