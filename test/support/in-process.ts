/**
 * The real handlers called in-process with real API Gateway proxy events (local/proxy-event.ts)
 * and Lambda contexts with the functions' own deadlines, for tests that need many requests fast
 * or their own dependencies (fault tests, the fuzz suite). Built with createServiceDependencies
 * from explicit settings, so every client is constructed exactly as in a deployment.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createIamHandler } from '../../lambdas/iam/iam-api.js';
import { FUNCTIONS, ROUTES, type ApiName } from '../../lambdas/routes.js';
import { createRpcHandler } from '../../lambdas/rpc/rpc-api.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { buildProxyEvent, type ProxyRequest } from '../../local/proxy-event.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { createServiceDependencies, type DependencyOverrides, type ServiceDependencies } from '../../src/service-dependencies.js';
import { encodeRpcParams, freshAccessKey, signRpcParams, type AccessKey, type SignOptions } from './rpc-clients.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface InProcessService {
  readonly deps: ServiceDependencies;
  readonly key: AccessKey;
  /** Invokes the function of `api` as Lambda would, with that function's timeout. */
  invoke(api: ApiName, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
}

/** Both functions on one set of dependencies, configured by `env` on top of the harness's. */
export async function inProcessService(
  env: Readonly<Record<string, string>> = {},
  options: { key?: AccessKey; overrides?: DependencyOverrides } = {},
): Promise<InProcessService> {
  const key = options.key ?? freshAccessKey('inproc');
  const settings: Record<string, string | undefined> = {
    ...process.env,
    ...env,
    RPC_ACCESS_KEY_ID: key.accessKeyId,
    RPC_ACCESS_KEY_SECRET: key.accessKeySecret,
  };
  for (const name of ['TOKEN_SIGNING_SECRET_ARN', 'OTP_HASH_SECRET_ARN', 'RPC_ACCESS_KEYS_SECRET_ARN']) delete settings[name];
  const deps = createServiceDependencies(loadConfig(settings), await loadServiceSecrets(settings), options.overrides ?? {});
  const handlers: Record<ApiName, Handler> = {
    iam: createIamHandler(deps) as unknown as Handler,
    rpc: createRpcHandler(deps) as unknown as Handler,
  };
  return {
    deps,
    key,
    invoke: (api, event) => handlers[api](event, lambdaContext(FUNCTIONS[api].name, FUNCTIONS[api].timeoutSeconds * 1000)),
  };
}

const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';

/** An IAM request with the verification token (and a JSON body for verify). */
export function iamEvent(route: 'resendCode' | 'verifyCode', token: string, body?: unknown, extra: Partial<ProxyRequest> = {}): APIGatewayProxyEvent {
  return buildProxyEvent({
    method: 'POST',
    path: ROUTES[route].path,
    headers: {
      Host: HOST,
      Authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...extra,
  });
}

/** A request signed with signature v1, by GET (query) or POST (form body). */
export function rpcEvent(key: AccessKey, params: Readonly<Record<string, string>>, options: Omit<SignOptions, 'key'> = {}): APIGatewayProxyEvent {
  const method = options.method ?? 'GET';
  const wire = encodeRpcParams(signRpcParams(params, { ...options, key, method }));
  return buildProxyEvent({
    method,
    path: '/',
    resource: ROUTES.rpcGet.path,
    headers: { Host: HOST, ...(method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    ...(method === 'GET' ? { query: wire } : { body: wire }),
  });
}

/** The page a mailed link opens (GET), as a browser or a link scanner opens it. */
export function pageEvent(link: string): APIGatewayProxyEvent {
  const url = new URL(link);
  return buildProxyEvent({
    method: 'GET',
    path: url.pathname,
    resource: ROUTES.showVerificationPage.path,
    query: url.search,
    headers: { Host: HOST },
  });
}

/** How long `work` took to answer, failing after `limitMs` rather than waiting for ever. */
export async function timed<T>(work: Promise<T>, limitMs = 10_000): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
  });
  try {
    const value = await Promise.race([work, limit]);
    return { value, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
