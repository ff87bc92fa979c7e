/**
 * The metrics as CloudWatch reads them: the real handlers, invoked with API Gateway proxy events
 * against DynamoDB Local and the local SES, print embedded-metric-format lines; this parses them
 * and checks names, dimensions, units and values, and that no address, token, code or IP is in
 * any of them.
 */
import { SESClient } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createIamHandler } from '../../lambdas/iam/iam-api.js';
import { createRpcHandler } from '../../lambdas/rpc/rpc-api.js';
import { FUNCTIONS, ROUTES, type ApiName } from '../../lambdas/routes.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { buildProxyEvent, type ProxyRequest } from '../../local/proxy-event.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import {
  COLD_START_METRIC,
  METRIC_DETAIL_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../../src/observability/metrics.js';
import { createServiceDependencies, type DependencyOverrides, type ServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { refusingEndpoint } from '../support/fault-peers.js';
import { freshAddress } from '../support/fresh-address.js';
import { freshAccessKey, freshClientIp, signRpcParams } from '../support/rpc-clients.js';
import { extractCode, waitForMailTo } from '../support/ses-inbox.js';
import { captureServiceOutput, type EmfDocument, type ServiceOutput } from '../support/service-output.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SOURCE_IP = '198.51.100.77';
const CLIENT_IP = freshClientIp();
const key = freshAccessKey('emf');
const region = process.env.AWS_REGION ?? 'us-east-1';

let output: ServiceOutput;
/** Every line of the file, for the checks that hold for all of them. */
const everything: string[] = [];
/** Every address and token the tests used: none may appear in a metric. */
const secrets: string[] = [];
const previousDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
let deps: ServiceDependencies;
let handlers: Record<ApiName, Handler>;

function build(overrides: DependencyOverrides = {}): Promise<ServiceDependencies> {
  const env = {
    ...process.env,
    RESEND_COOLDOWN_SECONDS: '0',
    RESEND_MAX_PER_WINDOW: '2',
    RPC_ACCESS_KEY_ID: key.accessKeyId,
    RPC_ACCESS_KEY_SECRET: key.accessKeySecret,
  };
  return loadServiceSecrets(env).then((loaded) => createServiceDependencies(loadConfig(env), loaded, overrides));
}

beforeAll(async () => {
  // The harness silences EMF; here it is the subject. Read when each EMF line is printed.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  output = captureServiceOutput();
  deps = await build();
  handlers = {
    iam: createIamHandler(deps) as unknown as Handler,
    rpc: createRpcHandler(deps) as unknown as Handler,
  };
});

afterAll(() => {
  output.restore();
  if (previousDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = previousDisabled;
});

/** Invokes one handler with a proxy event; returns its answer and the EMF documents it printed. */
async function call(api: ApiName, request: ProxyRequest, handler: Handler = handlers[api]) {
  output.clear();
  const result = await handler(buildProxyEvent({ sourceIp: SOURCE_IP, ...request }), lambdaContext(FUNCTIONS[api].name, 10_000));
  everything.push(...output.lines);
  return { result, emf: output.emf(), logs: output.logs() };
}

/** The one document holding `metric`, checked to be exactly one. */
function documentWith(emf: EmfDocument[], metric: string): EmfDocument {
  const matching = emf.filter((document) => document._aws.CloudWatchMetrics.some((d) => d.Metrics.some((m) => m.Name === metric)));
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

/** Asserts `metric` went out with `value` under `service, api` and, when given, `service, api, <detail>`. */
function expectMetric(emf: EmfDocument[], api: ApiName, metric: string, value: number, detail?: Record<string, string>) {
  const document = documentWith(emf, metric);
  const [directive] = document._aws.CloudWatchMetrics;
  expect(document._aws.CloudWatchMetrics).toHaveLength(1);
  expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
  expect(directive!.Metrics.find((m) => m.Name === metric)).toEqual({ Name: metric, Unit: 'Count' });
  expect(document[metric]).toBe(value);
  expect(document.service).toBe(METRICS_SERVICE);
  expect(document.api).toBe(api);
  const detailNames = Object.keys(detail ?? {});
  expect(directive!.Dimensions).toEqual(
    detailNames.length > 0 ? [['service', 'api', ...detailNames], ['service', 'api']] : [['service', 'api']],
  );
  for (const [name, detailValue] of Object.entries(detail ?? {})) expect(document[name]).toBe(detailValue);
  expect(typeof document._aws.Timestamp).toBe('number');
}

const iamRequest = (path: string, token: string, body?: unknown): ProxyRequest => ({
  method: 'POST',
  path,
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
});

const rpcRequest = (params: Record<string, string>, options: { secret?: string } = {}): ProxyRequest => ({
  method: 'GET',
  path: '/',
  query: signRpcParams({ Format: 'JSON', ...params }, { key: options.secret ? { ...key, accessKeySecret: options.secret } : key }),
});

describe('IAM', () => {
  test('a forged token prints an EMF line: TokenRejections 406, and the cold start on the first request', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImxvY2FsIn0.eyJzdWIiOiJ4QGV4YW1wbGUuY29tIn0.forgedsignature';
    secrets.push(forged);
    const { result, emf } = await call('iam', iamRequest(ROUTES.resendCode.path, forged));
    expect(result.statusCode).toBe(401);
    expect(emf).toHaveLength(2);
    expectMetric(emf, 'iam', COLD_START_METRIC, 1);
    expectMetric(emf, 'iam', 'TokenRejections', 1, { errorCode: '406' });

    // The cold start is reported once.
    const again = await call('iam', iamRequest(ROUTES.resendCode.path, forged));
    expect(again.emf).toHaveLength(1);
    expectMetric(again.emf, 'iam', 'TokenRejections', 1, { errorCode: '406' });
  });

  test('an expired token: TokenRejections 407', async () => {
    const email = freshAddress('emf-expired');
    const expired = await deps.sessionTokens.issue(normalizeEmailAddress(email), Date.now() - 2 * 3600_000);
    secrets.push(email, expired);
    const { result, emf } = await call('iam', iamRequest(ROUTES.resendCode.path, expired));
    expect(result.statusCode).toBe(401);
    expectMetric(emf, 'iam', 'TokenRejections', 1, { errorCode: '407' });
  });

  test('resend, quota refusal, wrong code, verification', async () => {
    const email = freshAddress('emf-iam');
    const token = await startEmailVerification(email, { dependencies: deps });
    secrets.push(email, token);

    const sent = await call('iam', iamRequest(ROUTES.resendCode.path, token));
    expect(sent.result.statusCode).toBe(201);
    expectMetric(sent.emf, 'iam', 'MailsSent', 1);
    expect(sent.emf).toHaveLength(1);

    const refused = await call('iam', iamRequest(ROUTES.resendCode.path, token));
    expect(refused.result.statusCode).toBe(429);
    expectMetric(refused.emf, 'iam', 'QuotaRefusals', 1, { limit: 'address' });
    expect(refused.emf).toHaveLength(1);

    const code = extractCode(await waitForMailTo(email, { after: 1 }));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    secrets.push(code, wrong);
    const rejected = await call('iam', iamRequest(ROUTES.verifyCode.path, token, { code: wrong }));
    expect(rejected.result.statusCode).toBe(400);
    expectMetric(rejected.emf, 'iam', 'CodeRejections', 1, { errorCode: '408' });

    const verified = await call('iam', iamRequest(ROUTES.verifyCode.path, token, { code }));
    expect(verified.result.statusCode).toBe(200);
    expectMetric(verified.emf, 'iam', 'Verifications', 1, { method: 'code' });
  });

  test('SES unreachable: SendFailures by stage, and the request logged at ERROR', async () => {
    const email = freshAddress('emf-ses-down');
    const token = await startEmailVerification(email, { dependencies: deps });
    secrets.push(email, token);
    const brokenSes = new SESClient({
      endpoint: await refusingEndpoint(),
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const broken = createIamHandler(await build({ ses: brokenSes })) as unknown as Handler;
    const { result, emf, logs } = await call('iam', iamRequest(ROUTES.resendCode.path, token), broken);
    brokenSes.destroy();
    expect(result.statusCode).toBe(500);
    expectMetric(emf, 'iam', 'SendFailures', 1, { stage: 'send-mail' });
    expect(logs.map((entry) => [entry.level, entry.message])).toEqual([['ERROR', 'request']]);
  });
});

describe('RPC', () => {
  test('a batch: mails sent, then quota refusals by address, in one request each', async () => {
    const [a, b] = [freshAddress('emf-rpc-a'), freshAddress('emf-rpc-b')];
    secrets.push(a, b, CLIENT_IP);
    const email = `${a},${b},not-an-address`;

    const submitted = await call('rpc', rpcRequest({ Action: 'SubmitEmailVerification', Email: email, UserClientIp: CLIENT_IP }));
    expect(submitted.result.statusCode).toBe(200);
    expectMetric(submitted.emf, 'rpc', 'MailsSent', 2);

    await call('rpc', rpcRequest({ Action: 'ResendEmailVerification', Email: `${a},${b}`, UserClientIp: CLIENT_IP }));
    const refused = await call('rpc', rpcRequest({ Action: 'ResendEmailVerification', Email: `${a},${b}`, UserClientIp: CLIENT_IP }));
    expect(JSON.parse(refused.result.body).FailList).toHaveLength(2);
    expectMetric(refused.emf, 'rpc', 'QuotaRefusals', 2, { limit: 'address' });
    expect(refused.emf.filter((document) => 'MailsSent' in document)).toHaveLength(0);
  });

  test.each([
    ['SignatureDoesNotMatch', { secret: 'not-the-secret' }],
    ['InvalidTimeStamp.Expired', { timestamp: true }],
  ] as const)('signature and authentication rejections by Aliyun code: %s', async (code, how) => {
    const request =
      'timestamp' in how
        ? { method: 'GET', path: '/', query: signRpcParams({ Action: 'QueryEmailVerification', Email: 'x@example.com', Format: 'JSON' }, { key, timestamp: '2020-01-01T00:00:00Z' }) }
        : rpcRequest({ Action: 'QueryEmailVerification', Email: 'x@example.com' }, how);
    const { result, emf } = await call('rpc', request);
    expect(JSON.parse(result.body).Code).toBe(code);
    expectMetric(emf, 'rpc', 'AuthRejections', 1, { errorCode: code });
  });

  test('an unknown access key', async () => {
    const stranger = freshAccessKey('stranger');
    const { result, emf } = await call('rpc', {
      method: 'GET',
      path: '/',
      query: signRpcParams({ Action: 'QueryEmailVerification', Email: 'x@example.com', Format: 'JSON' }, { key: stranger }),
    });
    expect(result.statusCode).toBe(404);
    expectMetric(emf, 'rpc', 'AuthRejections', 1, { errorCode: 'InvalidAccessKeyId.NotFound' });
  });

  test('the mailed page: an invalid link token, then a verification by link', async () => {
    const garbage = await call('rpc', { method: 'GET', path: ROUTES.showVerificationPage.path, query: { token: 'not-a-token' } });
    expect(garbage.result.statusCode).toBe(400);
    expectMetric(garbage.emf, 'rpc', 'TokenRejections', 1, { errorCode: 'InvalidToken' });

    const email = freshAddress('emf-link');
    await startEmailVerification(email, { dependencies: deps });
    const link = await deps.linkTokens.issue(normalizeEmailAddress(email), Date.now());
    secrets.push(email, link);
    const confirmed = await call('rpc', {
      method: 'POST',
      path: ROUTES.confirmVerificationPage.path,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: link, lang: 'en' }).toString(),
    });
    expect(confirmed.result.statusCode).toBe(200);
    expectMetric(confirmed.emf, 'rpc', 'Verifications', 1, { method: 'link' });
  });
});

test('every EMF line: declared names, bounded dimensions, Count units, and no address, token, code or IP', () => {
  const documents = everything.filter((line) => line.includes('"_aws"'));
  expect(documents.length).toBeGreaterThanOrEqual(15);
  const allowedDimensions = new Set(['service', 'api', ...Object.values(METRIC_DETAIL_DIMENSIONS)]);
  const allowedMetrics = new Set<string>([...METRIC_NAMES, COLD_START_METRIC]);
  for (const line of documents) {
    const document = JSON.parse(line) as EmfDocument;
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) for (const name of set) expect(allowedDimensions).toContain(name);
      for (const metric of directive.Metrics) {
        expect(allowedMetrics).toContain(metric.Name);
        expect(metric.Unit).toBe('Count');
      }
    }
    // Nothing but the EMF envelope, the dimensions and the values.
    const keys = Object.keys(document).filter((name) => name !== '_aws');
    for (const name of keys) expect(allowedDimensions.has(name) || allowedMetrics.has(name)).toBe(true);
    expect(line).not.toContain('@');
    expect(line).not.toContain(SOURCE_IP);
    for (const secret of secrets) expect(line).not.toContain(secret);
  }
});
