/**
 * The one place that says what environment the handlers get when they run locally: used by
 * `npm start`, the verification CLI and the jest harness, so all three agree.
 * Local only: nothing here is used in a deployment.
 */
import { loadMailComposer } from '../src/adapters/mail-template-folder.js';
import { loadConfig, type ServiceConfig } from '../src/config.js';
import { FALLBACK_REGION, readSetting, settingNames, SETTINGS } from '../src/settings.js';

type Env = Record<string, string | undefined>;

export const LOCAL_HOST = '127.0.0.1';

/**
 * What the local stand-ins need besides the service's own settings (settings.ts), applied only
 * where unset. DynamoDB Local and aws-ses-v2-local accept any credentials; these keep the SDK
 * from searching for real ones (profiles, IMDS).
 */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = {
  AWS_REGION: FALLBACK_REGION,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  // Lambda sets it in every function; Powertools reads it to report a cold start.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
};

export interface LocalPorts {
  readonly apiPort: number;
  readonly sesPort: number;
  readonly dynamodbPort: number;
}

/** PORT, SES_PORT, DYNAMODB_PORT (0 = pick a free port). */
export function readLocalPorts(env: Env = process.env): LocalPorts {
  return {
    apiPort: readSetting(env, 'PORT'),
    sesPort: readSetting(env, 'SES_PORT'),
    dynamodbPort: readSetting(env, 'DYNAMODB_PORT'),
  };
}

/**
 * Checks every setting the local stack and its handlers read, and the mail templates, before
 * anything starts: a bad value (`RESEND_COOLDOWN_SECONDS=abc`) throws ConfigError naming it,
 * instead of a stack whose every route answers 502. Returns the handlers' configuration.
 */
export function checkLocalConfiguration(env: Env = process.env): ServiceConfig {
  readLocalPorts(env);
  readSetting(env, 'LOCAL_STACK_FILE');
  const config = loadConfig(env);
  loadMailComposer(config);
  for (const name of settingNames('local-key')) readSetting(env, name);
  return config;
}

export function readTableName(env: Env = process.env): string {
  return readSetting(env, 'TABLE_NAME');
}

export const DEFAULT_TABLE_NAME = SETTINGS.TABLE_NAME.default;

export const localUrl = (port: number) => `http://${LOCAL_HOST}:${port}`;

export interface LocalEndpoints {
  readonly dynamodbEndpoint: string;
  readonly sesEndpoint: string;
  readonly tableName: string;
  /** The API's own URL; becomes PUBLIC_BASE_URL unless that is set. */
  readonly apiUrl?: string;
}

/**
 * The variables the handlers read, for the given local endpoints. Endpoints and the table name
 * are always these values; everything else keeps what `env` already has and falls back to
 * LOCAL_DEFAULTS.
 */
export function localEnvironment(endpoints: LocalEndpoints, env: Env = process.env): Record<string, string> {
  const result: Record<string, string> = {
    DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    SES_ENDPOINT: endpoints.sesEndpoint,
    TABLE_NAME: endpoints.tableName,
    // The SDK warns on stderr that Node 20 support is ending; locally that is noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) {
    const current = env[name];
    result[name] = current === undefined || current === '' ? value : current;
  }
  if (endpoints.apiUrl !== undefined) {
    const current = env.PUBLIC_BASE_URL;
    result.PUBLIC_BASE_URL = current === undefined || current === '' ? endpoints.apiUrl : current;
  }
  return result;
}

/** Writes `values` into `env` (process.env by default) and returns what was there before. */
export function applyEnvironment(values: Record<string, string>, env: Env = process.env): Record<string, string | undefined> {
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(values)) {
    previous[name] = env[name];
    env[name] = value;
  }
  return previous;
}

/** Undoes applyEnvironment. */
export function restoreEnvironment(previous: Record<string, string | undefined>, env: Env = process.env): void {
  for (const [name, value] of Object.entries(previous)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

/**
 * The environment for test runs: like localEnvironment, but every default is forced (the
 * developer's shell does not leak AWS credentials, another RPC key or EXPOSE_ERROR_TRACES=false
 * into tests), and `unset` lists variables to remove.
 */
export function testEnvironment(endpoints: LocalEndpoints): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {};
  const unset = ['AWS_SESSION_TOKEN', 'AWS_PROFILE'];
  for (const name of settingNames('service', 'rpc', 'local-key')) {
    const value = readSetting({}, name);
    if (value === undefined) unset.push(name);
    else set[name] = String(value);
  }
  // A line per request and an EMF line per outcome are right for a server, noise in test output:
  // failures still log, and the tests that read logs or metrics turn them on.
  Object.assign(set, localEnvironment(endpoints, {}), LOCAL_DEFAULTS, { LOG_LEVEL: 'error', POWERTOOLS_METRICS_DISABLED: 'true' });
  return { set, unset: unset.filter((name) => !(name in set)) };
}
