/**
 * `npm run bench`: latency and DynamoDB cost of the hot paths, through the real handlers, against
 * DynamoDB Local and the local SES. Local numbers show shape (one write per address, a batch of
 * 20 about as slow as a batch of 1), not AWS latency.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createIamHandler } from '../lambdas/iam/iam-api.js';
import { ROUTES } from '../lambdas/routes.js';
import { API_VERSION } from '../lambdas/rpc/rpc-endpoint.js';
import { lambdaContext } from '../local/lambda-context.js';
import { buildProxyEvent } from '../local/proxy-event.js';
import { FALLBACK_REGION, readSetting } from '../src/settings.js';
import { createRpcHandler } from '../lambdas/rpc/rpc-api.js';
import { localEnvironment } from '../local/local-environment.js';
import { startLocalServices } from '../local/services.js';
import { signV1 } from '../src/aliyun-rpc/index.js';
import { loadServiceSecrets } from '../src/adapters/service-secrets.js';
import { loadConfig } from '../src/config.js';
import { createServiceDependencies } from '../src/service-dependencies.js';
import { startEmailVerification } from '../src/start-email-verification.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SES_ROUND_TRIP_MS = 60;
const DYNAMODB_ROUND_TRIP_MS = 8;

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const services = await startLocalServices({ tableName: 'bench' });
try {
  Object.assign(process.env, localEnvironment(services), {
    RESEND_COOLDOWN_SECONDS: '0',
    RESEND_MAX_PER_WINDOW: '100',
    RPC_MAX_VERIFICATIONS_PER_DAY: '100000',
    RPC_MAX_PER_CLIENT_IP_PER_HOUR: '100000',
    // A JSON line and EMF per request are right for CloudWatch, noise in a benchmark table.
    LOG_LEVEL: 'silent',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const calls = new Map<string, number>();
  const countingDynamoDb = () => {
    const client = new DynamoDBClient({ endpoint: services.dynamodbEndpoint, region: FALLBACK_REGION });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.set(context.commandName!, (calls.get(context.commandName!) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    return client;
  };
  const dynamodb = countingDynamoDb();
  const config = loadConfig(process.env);
  const secrets = await loadServiceSecrets(process.env);
  const deps = createServiceDependencies(config, secrets, { dynamodb });
  const iam = createIamHandler(deps) as unknown as Handler;
  const rpc = createRpcHandler(deps) as unknown as Handler;
  // Locally every service shares two cores, so concurrency cannot show. In AWS the time of a send
  // is mostly network round trips: these handlers add SES's and DynamoDB's typical round trip
  // to each call, to show what bounded concurrency buys there.
  const slowDynamodb = countingDynamoDb();
  const slowSes = new SESClient({ endpoint: services.sesEndpoint, region: FALLBACK_REGION });
  addRoundTrip(slowDynamodb, DYNAMODB_ROUND_TRIP_MS);
  addRoundTrip(slowSes, SES_ROUND_TRIP_MS);
  const awsLike = (batchConcurrency: number) =>
    createRpcHandler(
      createServiceDependencies({ ...config, rpc: { ...config.rpc, batchConcurrency } }, secrets, {
        dynamodb: slowDynamodb,
        ses: slowSes,
      }),
    ) as unknown as Handler;

  const rows: string[][] = [['measure', 'runs', 'p50 ms', 'p95 ms', 'DynamoDB calls / address']];

  // IAM resend: one address per run after its start, so each run is a full success path.
  const tokens: string[] = [];
  for (let i = 0; i < 100; i++) tokens.push(await startEmailVerification(`iam-${i}@bench.example`, { dependencies: deps }));
  calls.clear();
  const iamTimes: number[] = [];
  for (const token of tokens) {
    const started = performance.now();
    const response = await iam(iamEvent(token), context());
    iamTimes.push(performance.now() - started);
    if (response.statusCode !== 201) throw new Error(`resend answered ${response.statusCode}: ${response.body}`);
  }
  rows.push(['IAM resend (201)', String(iamTimes.length), ...percentiles(iamTimes), perAddress(calls, iamTimes.length)]);

  // RPC batches of 1 and of 20 addresses, all pending, all sent.
  const roundTrips = `+${SES_ROUND_TRIP_MS} ms SES, +${DYNAMODB_ROUND_TRIP_MS} ms DynamoDB`;
  const batchRuns = [
    { size: 1, runs: 40, handler: rpc, label: 'batch of 1' },
    { size: 20, runs: 10, handler: rpc, label: 'batch of 20' },
    { size: 1, runs: 20, handler: awsLike(config.rpc.batchConcurrency), label: `batch of 1 (${roundTrips})` },
    {
      size: 20,
      runs: 10,
      handler: awsLike(config.rpc.batchConcurrency),
      label: `batch of 20, ${config.rpc.batchConcurrency} in flight (${roundTrips})`,
    },
    { size: 20, runs: 5, handler: awsLike(1), label: `batch of 20, one at a time (${roundTrips})` },
  ];
  for (const { size, runs, handler, label } of batchRuns) {
    const batches = Array.from({ length: runs }, (_, run) =>
      Array.from({ length: size }, (_, i) => `rpc-${label.length}-${size}-${run}-${i}@bench.example`).join(','),
    );
    for (const batch of batches) await rpc(rpcEvent('SubmitEmailVerification', batch), context());
    calls.clear();
    const times: number[] = [];
    for (const batch of batches) {
      const started = performance.now();
      const response = await handler(rpcEvent('ResendEmailVerification', batch), context());
      times.push(performance.now() - started);
      const body = JSON.parse(response.body) as { SuccessList: unknown[] };
      if (body.SuccessList.length !== size) throw new Error(`batch of ${size} sent ${body.SuccessList.length}: ${response.body}`);
    }
    rows.push([`RPC resend, ${label}`, String(runs), ...percentiles(times), perAddress(calls, runs * size)]);
  }

  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  console.log('\nDynamoDB calls by command in the last row:', Object.fromEntries(calls));
} finally {
  await services.stop();
}

function addRoundTrip(client: DynamoDBClient | SESClient, ms: number): void {
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next) => async (args) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'simulatedRoundTrip' },
  );
}

function percentiles(times: number[]): [string, string] {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return [at(0.5), at(0.95)];
}

function perAddress(calls: Map<string, number>, addresses: number): string {
  const total = [...calls.values()].reduce((sum, count) => sum + count, 0);
  return (total / addresses).toFixed(2);
}

function context(): Context {
  return lambdaContext('bench', 10_000);
}

function iamEvent(token: string): APIGatewayProxyEvent {
  return buildProxyEvent({ method: ROUTES.resendCode.method, path: ROUTES.resendCode.path, headers: { Authorization: `Bearer ${token}` } });
}

function rpcEvent(action: string, emails: string): APIGatewayProxyEvent {
  const params: Record<string, string> = {
    AccessKeyId: readSetting(process.env, 'RPC_ACCESS_KEY_ID'),
    Action: action,
    Email: emails,
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: API_VERSION,
  };
  params.Signature = signV1(readSetting(process.env, 'RPC_ACCESS_KEY_SECRET'), 'GET', params);
  return buildProxyEvent({ method: 'GET', path: ROUTES.rpcGet.path, query: params });
}
