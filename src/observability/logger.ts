import { Logger } from '@aws-lambda-powertools/logger';
import type { SettingValue } from '../settings.js';
import { METRICS_SERVICE } from './metrics.js';

export type LogLevel = SettingValue<'LOG_LEVEL'>;

/**
 * The one log format of the service: Powertools' structured JSON (level, message, timestamp,
 * service, the Lambda context, the X-Ray trace id), one line per entry. `LOG_LEVEL` is the
 * threshold: `debug` adds per-address detail, `info` one line per request, `warn` only refused
 * requests and above, `error` only failures, `silent` nothing (metrics are not logs: their EMF
 * lines still go out, since the alarms read them).
 */
export function createServiceLogger(level: LogLevel): Logger {
  return new Logger({ serviceName: METRICS_SERVICE, logLevel: level });
}
