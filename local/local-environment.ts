/**
 * The one place that says what environment the handlers get when they run locally: used by
 * `npm start`, the verification CLI and the jest harness, so all three agree.
 * Local only: nothing here is used in a deployment.
 */
import { parsePort } from './ports.js';

type Env = Record<string, string | undefined>;

export const DEFAULT_API_PORT = 3000;
export const DEFAULT_SES_PORT = 8005;
export const DEFAULT_DYNAMODB_PORT = 8000;
export const DEFAULT_TABLE_NAME = 'email-verification';
export const LOCAL_HOST = '127.0.0.1';
export const LOCAL_RPC_ACCESS_KEY_ID = 'local-access-key-id';
export const LOCAL_RPC_ACCESS_KEY_SECRET = 'local-access-key-secret';

/** Defaults applied only where the variable is unset (or empty). */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  // DynamoDB Local and aws-ses-v2-local accept any credentials; these keep the SDK from
  // searching for real ones (profiles, IMDS).
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  MAIL_FROM: 'no-reply@example.com',
  EXPOSE_ERROR_TRACES: 'true',
  RPC_ACCESS_KEY_ID: LOCAL_RPC_ACCESS_KEY_ID,
  RPC_ACCESS_KEY_SECRET: LOCAL_RPC_ACCESS_KEY_SECRET,
};

export interface LocalPorts {
  readonly apiPort: number;
  readonly sesPort: number;
  readonly dynamodbPort: number;
}

/** PORT, SES_PORT, DYNAMODB_PORT with the contract's defaults (0 = pick a free port). */
export function readLocalPorts(env: Env = process.env): LocalPorts {
  return {
    apiPort: parsePort(env.PORT, 'PORT', DEFAULT_API_PORT),
    sesPort: parsePort(env.SES_PORT, 'SES_PORT', DEFAULT_SES_PORT),
    dynamodbPort: parsePort(env.DYNAMODB_PORT, 'DYNAMODB_PORT', DEFAULT_DYNAMODB_PORT),
  };
}

export function readTableName(env: Env = process.env): string {
  const name = env.TABLE_NAME;
  return name === undefined || name === '' ? DEFAULT_TABLE_NAME : name;
}

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
 * The environment for test runs: like localEnvironment, but every local default is forced (the
 * developer's shell does not leak AWS credentials, another RPC key or EXPOSE_ERROR_TRACES=false
 * into tests), and `unset` lists variables to remove.
 */
export function testEnvironment(endpoints: LocalEndpoints): { set: Record<string, string>; unset: string[] } {
  return {
    // One info line per request is right for a server, noise in test output; failures still log.
    set: { ...localEnvironment(endpoints, {}), ...LOCAL_DEFAULTS, EXPOSE_ERROR_TRACES: 'true', LOG_LEVEL: 'warn' },
    unset: ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'PUBLIC_BASE_URL'],
  };
}

/** The environment for a stack whose services run on the given ports (used by the CLI). */
export function localEnvironmentForPorts(ports: LocalPorts, env: Env = process.env): Record<string, string> {
  return localEnvironment(
    {
      dynamodbEndpoint: localUrl(ports.dynamodbPort),
      sesEndpoint: localUrl(ports.sesPort),
      tableName: readTableName(env),
      apiUrl: localUrl(ports.apiPort),
    },
    env,
  );
}
