/**
 * The hot path of the synthesized bundles, in one process on the functions' Node, against
 * DynamoDB Local and the local SES (run by bench/run-bench.ts, which reads the results):
 *
 *   node --import tsx bench/hot-path.ts <input.json> <results.json>
 *
 * - IAM resend p50: the bundle's handler with an API Gateway proxy event, over the p50 of a bare
 *   UpdateItem plus the p50 of a bare SendEmail. The bare calls are what the resend sends, issued
 *   directly through the SDK's clients (bench/bare-calls.ts, bundled like the functions): the
 *   same conditional UpdateItem (resendUpdate, on a record in the same state) and the same
 *   SendEmail (the mail the resend sent, re-addressed).
 * - RPC ResendEmailVerification of 50 addresses p50, over the p50 of the same 50 bare writes and
 *   sends at 20 in flight.
 * - DynamoDB requests per IAM resend and per batch of 50, counted on the wire by a proxy in
 *   front of DynamoDB Local.
 * Every stack's handlers and the bare calls run interleaved, in an order that rotates each
 * round, after warm-up rounds. CPU time of each step is this process's own.
 *
 * The functions' log and EMF lines go to stdout, as in Lambda; the parent discards them.
 */
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { SESClient, SendEmailCommand, SendEmailCommandInput } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ROUTES } from '../lambdas/routes.js';
import { API_VERSION } from '../lambdas/rpc/rpc-endpoint.js';
import { lambdaContext } from '../local/lambda-context.js';
import { buildProxyEvent } from '../local/proxy-event.js';
import { resendUpdate } from '../src/adapters/dynamodb-verification-store.js';
import { loadServiceSecrets } from '../src/adapters/service-secrets.js';
import { SesMailer } from '../src/adapters/ses-mailer.js';
import { signV1 } from '../src/aliyun-rpc/index.js';
import { loadConfig } from '../src/config.js';
import { normalizeEmailAddress } from '../src/domain/address.js';
import type { OutgoingMail, SendCommand } from '../src/domain/ports.js';
import { parseSender } from '../src/domain/sender.js';
import { createServiceDependencies } from '../src/service-dependencies.js';
import { readSetting } from '../src/settings.js';
import { startEmailVerification } from '../src/start-email-verification.js';
import { median } from './cold-init.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface HotPathInput {
  readonly stacks: readonly {
    readonly label: string;
    readonly iam: { readonly bundle: string; readonly env: Readonly<Record<string, string>> };
    readonly rpc: { readonly bundle: string; readonly env: Readonly<Record<string, string>> };
  }[];
  /** bench/bare-calls.ts, built as a Lambda bundle. */
  readonly bareCalls: string;
  readonly dynamodbEndpoint: string;
  readonly sesEndpoint: string;
  readonly region: string;
  readonly resendRounds: number;
  readonly batchRounds: number;
  readonly batchSize: number;
  readonly inFlight: number;
}

/** p50s in ms; cpu = this process's CPU time per step. */
export interface Timing {
  readonly p50: number;
  readonly cpuP50: number;
}

export interface HotPathResults {
  readonly stacks: readonly {
    readonly label: string;
    readonly resend: Timing;
    readonly batch: Timing;
    readonly requestsPerResend: number;
    readonly requestsPerBatch: number;
    readonly batchRequestsByOperation: Readonly<Record<string, number>>;
  }[];
  readonly bareUpdate: Timing;
  readonly bareSend: Timing;
  readonly bareBatch: Timing;
  readonly resendRounds: number;
  readonly batchRounds: number;
}

const WARMUP_ROUNDS = 3;
/** The RPC batches name a client IP, so its hourly limit is charged too, as a web front end's are. */
const CLIENT_IP = '203.0.113.7';
/** Where the IAM requests come from: the resend records it on the item, so the bare write does too. */
const SOURCE_IP = '198.51.100.23';
const COUNTED_RESENDS = 10;

const [inputFile, resultsFile] = process.argv.slice(2);
if (!inputFile || !resultsFile) throw new Error('usage: hot-path.ts <input.json> <results.json>');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as HotPathInput;
const log = (line: string) => process.stderr.write(`  hot path: ${line}\n`);

// Addresses, tokens and records are made by the service's own code from the sources, with the
// local keys the fake Secrets Manager also serves to the bundles.
const setupEnv = withoutSecretArns(input.stacks[0]!.iam.env);
Object.assign(process.env, setupEnv);
const setup = createServiceDependencies(loadConfig(setupEnv), await loadServiceSecrets(setupEnv));
const rpcKey = { id: readSetting(setupEnv, 'RPC_ACCESS_KEY_ID'), secret: readSetting(setupEnv, 'RPC_ACCESS_KEY_SECRET') };
const sender = parseSender(readSetting(setupEnv, 'MAIL_FROM'));
const configurationSet = setupEnv.SES_CONFIGURATION_SET;

const proxy = await countingProxy(input.dynamodbEndpoint);
const cases = [];
for (const [index, stack] of input.stacks.entries()) {
  const load = async (api: 'iam' | 'rpc', variant: string, endpoint: string): Promise<Handler> => {
    Object.assign(process.env, stack[api].env, { DYNAMODB_ENDPOINT: endpoint });
    const module = (await import(`${pathToFileURL(stack[api].bundle).href}?${index}-${variant}`)) as { handler: Handler };
    return module.handler;
  };
  cases.push({
    label: stack.label,
    iam: await load('iam', 'timed', input.dynamodbEndpoint),
    rpc: await load('rpc', 'timed', input.dynamodbEndpoint),
    // Second instances of the same bundles, whose DynamoDB traffic goes through the counting proxy.
    iamCounted: await load('iam', 'counted', proxy.endpoint),
    rpcCounted: await load('rpc', 'counted', proxy.endpoint),
  });
}

Object.assign(process.env, { DYNAMODB_ENDPOINT: input.dynamodbEndpoint, SES_ENDPOINT: input.sesEndpoint, AWS_REGION: input.region });
const bare = (await import(pathToFileURL(input.bareCalls).href)) as typeof import('./bare-calls.js');

// -- DynamoDB requests on the wire, and the mails the handlers send (for the bare sends)
const wire = new Map<string, { perResend: number; perBatch: number; byOperation: Record<string, number> }>();
let iamMail: OutgoingMail | undefined;
let rpcMail: OutgoingMail | undefined;
for (const c of cases) {
  const tokens = await startMany(COUNTED_RESENDS, `count-${c.label}`);
  proxy.reset();
  for (const { token } of tokens) await resend(c.iamCounted, token);
  const perResend = proxy.total() / tokens.length;
  iamMail ??= await sentMail(tokens[0]!.address);
  const batch = addresses(input.batchSize, `count-batch-${c.label}`);
  await rpcBatch(c.rpcCounted, 'SubmitEmailVerification', batch);
  proxy.reset();
  await rpcBatch(c.rpcCounted, 'ResendEmailVerification', batch);
  wire.set(c.label, { perResend, perBatch: proxy.total(), byOperation: proxy.byOperation() });
  rpcMail ??= await sentMail(batch[0]!);
  log(`${c.label}: ${perResend} DynamoDB requests per resend, ${proxy.total()} per batch of ${input.batchSize}`);
}

// -- IAM resend vs the bare UpdateItem and SendEmail
const resendSamples = new Map(cases.map((c) => [c.label, samples()]));
const bareUpdate = samples();
const bareSend = samples();
{
  const rounds = input.resendRounds + WARMUP_ROUNDS;
  log(`preparing ${rounds * (cases.length + 1)} pending verifications`);
  const resendTokens = new Map<string, { token: string }[]>();
  for (const c of cases) resendTokens.set(c.label, await startMany(rounds, `resend-${c.label}`));
  const bareAddresses = (await startMany(rounds, 'bare')).map(({ address }) => address);
  for (let round = 0; round < rounds; round++) {
    const keep = round >= WARMUP_ROUNDS;
    const steps: (() => Promise<void>)[] = cases.map((c) => async () => {
      await timed(keep ? resendSamples.get(c.label)! : undefined, () => resend(c.iam, resendTokens.get(c.label)![round]!.token));
    });
    const address = bareAddresses[round]!;
    steps.push(async () => {
      const update: UpdateItemCommandInput = { TableName: setup.config.tableName, ...resendUpdate(resendCommand(address, SOURCE_IP)) };
      await timed(keep ? bareUpdate : undefined, () => bare.bareUpdate(update));
    });
    steps.push(async () => {
      const send = await sendEmailInput({ ...iamMail!, to: address });
      await timed(keep ? bareSend : undefined, () => bare.bareSend(send));
    });
    for (let k = 0; k < steps.length; k++) await steps[(k + round) % steps.length]!();
  }
}

// -- RPC batch vs the same writes and sends at `inFlight`
const batchSamples = new Map(cases.map((c) => [c.label, samples()]));
const bareBatch = samples();
for (let round = 0; round < input.batchRounds + WARMUP_ROUNDS; round++) {
  const keep = round >= WARMUP_ROUNDS;
  const steps: (() => Promise<void>)[] = [];
  for (const c of cases) {
    const batch = addresses(input.batchSize, `batch-${c.label}-${round}`);
    await rpcBatch(c.rpc, 'SubmitEmailVerification', batch);
    steps.push(() => timed(keep ? batchSamples.get(c.label)! : undefined, () => rpcBatch(c.rpc, 'ResendEmailVerification', batch)));
  }
  const bareBatchAddresses = addresses(input.batchSize, `bare-batch-${round}`);
  // Started by this checkout's own code, whose record format the bare resendUpdate expects (a
  // baseline checkout may store records another way).
  await startMany(0, '', bareBatchAddresses);
  const calls = await Promise.all(
    bareBatchAddresses.map(async (address) => ({
      update: { TableName: setup.config.tableName, ...resendUpdate(resendCommand(address, CLIENT_IP)) } as UpdateItemCommandInput,
      send: await sendEmailInput({ ...rpcMail!, to: address }),
    })),
  );
  steps.push(() =>
    timed(keep ? bareBatch : undefined, () =>
      inFlight(calls, input.inFlight, async ({ update, send }) => {
        await bare.bareUpdate(update);
        await bare.bareSend(send);
      }),
    ),
  );
  for (let k = 0; k < steps.length; k++) await steps[(k + round) % steps.length]!();
  if ((round + 1) % 5 === 0) log(`batch round ${round + 1}/${input.batchRounds + WARMUP_ROUNDS}`);
}

const results: HotPathResults = {
  stacks: cases.map((c) => ({
    label: c.label,
    resend: summary(resendSamples.get(c.label)!),
    batch: summary(batchSamples.get(c.label)!),
    requestsPerResend: wire.get(c.label)!.perResend,
    requestsPerBatch: wire.get(c.label)!.perBatch,
    batchRequestsByOperation: wire.get(c.label)!.byOperation,
  })),
  bareUpdate: summary(bareUpdate),
  bareSend: summary(bareSend),
  bareBatch: summary(bareBatch),
  resendRounds: input.resendRounds,
  batchRounds: input.batchRounds,
};
writeFileSync(resultsFile, JSON.stringify(results, null, 2));
proxy.close();
process.exit(0);

// ---------------------------------------------------------------------------------------------

function withoutSecretArns(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.endsWith('_SECRET_ARN')));
}

function samples() {
  return { wall: [] as number[], cpu: [] as number[] };
}

function summary(taken: ReturnType<typeof samples>): Timing {
  return { p50: median(taken.wall), cpuP50: median(taken.cpu) };
}

async function timed(into: ReturnType<typeof samples> | undefined, step: () => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await step();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  into?.wall.push(wall);
  into?.cpu.push((used.user + used.system) / 1000);
}

function addresses(count: number, tag: string): string[] {
  const run = randomUUID().slice(0, 8);
  const local = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return Array.from({ length: count }, (_, i) => `${local}-${run}-${i}@bench.example`);
}

/** Pending verifications, started by the service's own code: each with its first mail and token. */
async function startMany(count: number, tag: string, given?: readonly string[]): Promise<{ address: string; token: string }[]> {
  const started = [];
  for (const address of given ?? addresses(count, tag)) started.push({ address, token: await startEmailVerification(address, { dependencies: setup }) });
  return started;
}

/** The SendCommand a resend of `address` makes now (what resendUpdate turns into the UpdateItem). */
function resendCommand(address: string, clientIp?: string): SendCommand {
  const normalized = normalizeEmailAddress(address);
  const now = setup.clock();
  return {
    key: normalized.key,
    address: normalized.address,
    lang: 'en',
    otp: setup.send.otps.issue(normalized.key, now).stored,
    policy: setup.send.settings.quota,
    now,
    recordExpiresAt: now + setup.send.settings.pendingRetentionSeconds * 1000,
    ...(clientIp ? { clientIp } : {}),
  };
}

/** The SendEmail input the service's mailer builds for `mail`. */
async function sendEmailInput(mail: OutgoingMail): Promise<SendEmailCommandInput> {
  let input: SendEmailCommandInput | undefined;
  const capture = { send: async (command: SendEmailCommand) => void (input = command.input) } as unknown as SESClient;
  await new SesMailer(capture, sender, configurationSet).send(mail);
  return input!;
}

/** The latest mail the local SES holds for `address`. */
async function sentMail(address: string): Promise<OutgoingMail> {
  const response = await fetch(`${input.sesEndpoint}/store`);
  const { emails = [] } = (await response.json()) as { emails?: { destination: { to: string[] }; subject: string; body: { text?: string; html?: string } }[] };
  const mail = emails.filter((entry) => entry.destination.to.includes(address)).pop();
  if (!mail?.body.text || !mail.body.html) throw new Error(`the local SES holds no mail to ${address}`);
  return { to: address, subject: mail.subject, text: mail.body.text, html: mail.body.html };
}

function context(): Context {
  return lambdaContext('bench', 25_000);
}

async function resend(handler: Handler, token: string): Promise<void> {
  const event = buildProxyEvent({
    method: ROUTES.resendCode.method,
    path: ROUTES.resendCode.path,
    headers: { Authorization: `Bearer ${token}` },
    sourceIp: SOURCE_IP,
  });
  const response = await handler(event, context());
  if (response.statusCode !== 201) throw new Error(`resend answered ${response.statusCode}: ${response.body}`);
}

async function rpcBatch(handler: Handler, action: string, emails: readonly string[]): Promise<void> {
  const params: Record<string, string> = {
    AccessKeyId: rpcKey.id,
    Action: action,
    Email: emails.join(','),
    UserClientIp: CLIENT_IP,
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: API_VERSION,
  };
  params.Signature = signV1(rpcKey.secret, 'GET', params);
  const response = await handler(buildProxyEvent({ method: 'GET', path: ROUTES.rpcGet.path, query: params }), context());
  const body = JSON.parse(response.body) as { SuccessList?: unknown[] };
  if (response.statusCode !== 200 || body.SuccessList?.length !== emails.length) {
    throw new Error(`${action} of ${emails.length} answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  }
}

async function inFlight<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** A pass-through proxy to DynamoDB that counts requests by operation (X-Amz-Target). */
async function countingProxy(target: string) {
  const upstream = new URL(target);
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const operation = String(request.headers['x-amz-target'] ?? 'unknown').split('.').pop()!;
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const forwarded = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reset: () => counts.clear(),
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    byOperation: () => Object.fromEntries(counts),
    close: () => server.close(),
  };
}

