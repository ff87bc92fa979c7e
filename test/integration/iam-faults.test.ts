/**
 * Every IAM 5xx, each produced by a real fault injected into a real dependency: the handler is
 * built with createIamHandler(createServiceDependencies(..., overrides)) and invoked with an API
 * Gateway proxy event, against DynamoDB Local and the local SES.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createIamHandler } from '../../lambdas/iam/iam-api.js';
import { FUNCTIONS, ROUTES } from '../../lambdas/routes.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { buildProxyEvent } from '../../local/proxy-event.js';
import { recordKey } from '../../src/adapters/dynamodb-verification-store.js';
import { loadServiceSecrets, type ServiceSecrets } from '../../src/adapters/service-secrets.js';
import { TTL_ATTRIBUTE } from '../../src/adapters/table-schema.js';
import { loadConfig, type ServiceConfig } from '../../src/config.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import { StageFailedError } from '../../src/domain/errors.js';
import { createServiceDependencies, type DependencyOverrides, type ServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { refusingEndpoint } from '../support/fault-peers.js';
import { freshAddress } from '../support/fresh-address.js';
import { expectIamResponse } from '../support/openapi-iam.js';
import { captureServiceOutput, type ServiceOutput } from '../support/service-output.js';
import { extractCode, mailsTo, waitForMailTo } from '../support/ses-inbox.js';

type Item = Record<string, AttributeValue>;
type ErrBody = { group: string; code: number; message: string; traces?: string[] };

const tableName = process.env.TABLE_NAME!;
const region = process.env.AWS_REGION ?? 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dynamodbClient = (extra: Record<string, unknown> = {}) =>
  new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region, credentials, ...extra });

let config: ServiceConfig;
let secrets: ServiceSecrets;
let working: ServiceDependencies;
const raw = dynamodbClient();
const clients: { destroy(): void }[] = [raw];
// The failures' log lines: kept (and read where a test is about them) rather than printed.
let output: ServiceOutput;

beforeAll(async () => {
  config = loadConfig({ ...process.env, RESEND_COOLDOWN_SECONDS: '60', RESEND_MAX_PER_WINDOW: '5', RESEND_WINDOW_SECONDS: '3600' });
  expect(config.exposeErrorTraces).toBe(true); // the local default the global setup publishes
  secrets = await loadServiceSecrets(process.env);
  working = build();
  output = captureServiceOutput();
});

afterAll(() => {
  output.restore();
  for (const client of clients) client.destroy();
});

function build(overrides: DependencyOverrides = {}, configuration: ServiceConfig = config): ServiceDependencies {
  const dynamodb = overrides.dynamodb ?? dynamodbClient();
  const ses = overrides.ses ?? new SESClient({ endpoint: process.env.SES_ENDPOINT, region, credentials });
  clients.push(dynamodb, ses);
  return createServiceDependencies(configuration, secrets, { ...overrides, dynamodb, ses });
}

function proxyEvent(path: string, options: { token?: string; body?: string; requestId?: string } = {}): APIGatewayProxyEvent {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': 'en-US,en;q=0.9', Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'User-Agent': 'fault-test' };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  return buildProxyEvent({ method: 'POST', path, headers, ...(options.body !== undefined ? { body: options.body } : {}), ...(options.requestId ? { requestId: options.requestId } : {}) });
}

async function invoke(
  deps: ServiceDependencies,
  path: string,
  options: { token?: string; body?: string; requestId?: string } = {},
): Promise<{ result: APIGatewayProxyResult; body: ErrBody & Record<string, unknown> }> {
  const handler = createIamHandler(deps) as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  const result = await handler(proxyEvent(path, options), lambdaContext(FUNCTIONS.iam.name, FUNCTIONS.iam.timeoutSeconds * 1000));
  expectIamResponse(path, 'POST', result.statusCode, result.headers, result.body);
  return { result, body: JSON.parse(result.body) as ErrBody & Record<string, unknown> };
}

/** A session token for `email`, issued as the service issues them. */
const tokenFor = (email: string) => working.sessionTokens.issue(normalizeEmailAddress(email), Date.now());

async function rawItem(email: string): Promise<Item | undefined> {
  return (await raw.send(new GetItemCommand({ TableName: tableName, Key: recordKey(email), ConsistentRead: true }))).Item;
}

/** Moves the record's sends a cooldown into the past, so a resend is allowed now. */
async function pastCooldown(email: string): Promise<void> {
  const record = (await working.store.find(email))!;
  await raw.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: recordKey(email),
      UpdateExpression: 'SET sendLog = :log',
      ExpressionAttributeValues: { ':log': { L: record.sendLog.map((t) => ({ N: String(t === 0 ? 0 : t - 60_000) })) } },
    }),
  );
}

async function started(label: string) {
  const email = freshAddress(label);
  const token = await startEmailVerification(email, { dependencies: working });
  const code = extractCode(await waitForMailTo(email));
  await pastCooldown(email);
  return { email, token, code };
}

function expectStageError(
  response: { result: APIGatewayProxyResult; body: ErrBody },
  expected: { group: string; code: number; message: string },
  traceMatching?: RegExp,
): void {
  expect(response.result.statusCode).toBe(500);
  const { traces, ...rest } = response.body;
  expect(rest).toEqual(expected);
  expect(traces).toEqual(expect.arrayContaining([expect.any(String)]));
  if (traceMatching) expect(traces!.join('\n')).toMatch(traceMatching);
}

/**
 * A DynamoDB client whose middleware fails the named commands before they are sent, after letting
 * the first `spare` of them through.
 */
function failingDynamoDb(commands: string[], spare = 0): DynamoDBClient {
  const client = dynamodbClient({ maxAttempts: 1 });
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (commands.includes(context.commandName ?? '') && seen++ >= spare) throw new Error(`injected ${context.commandName} failure`);
      return next(args);
    },
    { step: 'initialize', name: 'injectedFault' },
  );
  return client;
}

const CORE_PARTS = (email: string, now: number): Item => ({
  ...recordKey(email),
  otpHash: { S: 'h' },
  otpSalt: { S: 's' },
  otpExpiresAt: { N: String(now + 600_000) },
  guesses: { N: '0' },
  expiresAt: { N: String(now + 3_600_000) },
  [TTL_ATTRIBUTE]: { N: String(Math.ceil((now + 3_600_000) / 1000)) },
});

describe('IAM 5xx, each from a real fault', () => {
  test('user 401: a stored record missing its core attributes', async () => {
    const email = freshAddress('fault-401');
    const now = Date.now();
    await raw.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...CORE_PARTS(email, now), sendLog: { L: [0, 0, 0, 0, now - 120_000].map((t) => ({ N: String(t) })) } },
      }),
    );
    const response = await invoke(working, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(
      response,
      { group: 'user', code: 401, message: 'Get user email verification data encountered error.' },
      /lacks its core attributes/,
    );
    expect(await mailsTo(email)).toHaveLength(0);
  });

  test('user 402: a stored record whose sendLog is unreadable', async () => {
    const email = freshAddress('fault-402');
    const now = Date.now();
    await raw.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...CORE_PARTS(email, now),
          address: { S: email },
          status: { S: 'pending' },
          lang: { S: 'en' },
          createdAt: { N: String(now) },
          updatedAt: { N: String(now) },
          sendLog: { S: 'not a list' },
        },
      }),
    );
    const response = await invoke(working, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(
      response,
      { group: 'user', code: 402, message: 'Get user email verification data TTL encountered error.' },
      /no readable send log/,
    );
    expect(await mailsTo(email)).toHaveLength(0);
  });

  test('user 401 and 402 on verify: the same corrupt records are read errors there too', async () => {
    const now = Date.now();
    const missingCore = freshAddress('fault-401-verify');
    await raw.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...CORE_PARTS(missingCore, now), sendLog: { L: [{ N: String(now) }] } },
      }),
    );
    const first = await invoke(working, ROUTES.verifyCode.path, { token: await tokenFor(missingCore), body: JSON.stringify({ code: '123456' }) });
    expectStageError(first, { group: 'user', code: 401, message: 'Get user email verification data encountered error.' });

    const badLog = freshAddress('fault-402-verify');
    await raw.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...CORE_PARTS(badLog, now),
          address: { S: badLog },
          status: { S: 'pending' },
          lang: { S: 'en' },
          createdAt: { N: String(now) },
          updatedAt: { N: String(now) },
          sendLog: { S: 'not a list' },
        },
      }),
    );
    const second = await invoke(working, ROUTES.verifyCode.path, { token: await tokenFor(badLog), body: JSON.stringify({ code: '123456' }) });
    expectStageError(second, { group: 'user', code: 402, message: 'Get user email verification data TTL encountered error.' });
  });

  test('user 403: DynamoDB fails the write (UpdateItem)', async () => {
    const { email } = await started('fault-403');
    const before = await rawItem(email);
    const deps = build({ dynamodb: failingDynamoDb(['UpdateItemCommand', 'PutItemCommand']) });
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(
      response,
      { group: 'user', code: 403, message: 'Save user email verification data encountered error.' },
      /injected UpdateItemCommand failure/,
    );
    expect(await rawItem(email)).toEqual(before);
    expect(await mailsTo(email)).toHaveLength(1);
  });

  test('user 403: the table does not exist', async () => {
    const { email } = await started('fault-403-table');
    const deps = build({}, { ...config, tableName: `no-such-table-${randomUUID()}` });
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(
      response,
      { group: 'user', code: 403, message: 'Save user email verification data encountered error.' },
      /non-existent table|not found|ResourceNotFound/i,
    );
    expect(await mailsTo(email)).toHaveLength(1);
  });

  test('user 403 on verify: DynamoDB fails the guess write', async () => {
    const { token, code } = await started('fault-403-verify');
    const deps = build({ dynamodb: failingDynamoDb(['UpdateItemCommand']) });
    const response = await invoke(deps, ROUTES.verifyCode.path, { token, body: JSON.stringify({ code }) });
    expectStageError(response, { group: 'user', code: 403, message: 'Save user email verification data encountered error.' });
  });

  test('user 404: the random source fails', async () => {
    const { email } = await started('fault-404');
    const before = await rawItem(email);
    const deps = build({
      random: () => {
        throw new Error('injected entropy failure');
      },
    });
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(response, { group: 'user', code: 404, message: 'Create OTP code encountered error.' }, /injected entropy failure/);
    expect(await rawItem(email)).toEqual(before);
    expect(await mailsTo(email)).toHaveLength(1);
  });

  test('user 405: the active signing key is unusable (zero-length)', async () => {
    const { email } = await started('fault-405');
    const before = await rawItem(email);
    const deps = build({
      tokenKeyring: {
        active: { kid: 'broken', secret: new Uint8Array(0) },
        accepted: [{ kid: 'broken', secret: new Uint8Array(0) }, ...secrets.tokenKeyring.accepted],
      },
    });
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(response, { group: 'user', code: 405, message: 'Create email verification token encountered error.' });
    expect(await rawItem(email)).toEqual(before);
    expect(await mailsTo(email)).toHaveLength(1);
  });

  test('email 0: SES unreachable; the address is left as it was (no quota charged, the mailed code still verifies)', async () => {
    const { email, code } = await started('fault-email');
    const before = await rawItem(email);
    const brokenSes = new SESClient({ endpoint: await refusingEndpoint(), region, credentials, maxAttempts: 1 });
    const response = await invoke(build({ ses: brokenSes }), ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(response, { group: 'email', code: 0, message: 'Failed to send email.' });
    // Exactly as before: no send recorded, the previous code still the live one.
    expect(await rawItem(email)).toEqual(before);
    const record = (await working.store.find(email))!;
    expect(working.verify.otps.match(code, record.key, [record.currentOtp!])).toBeDefined();
    expect(await mailsTo(email)).toHaveLength(1);

    // The retry with a working SES goes out at once (it was allowed before the fault) ...
    const retry = await invoke(working, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expect(retry.result.statusCode).toBe(201);
    expect(await mailsTo(email)).toHaveLength(2);
    // ... and only the one send is charged: the next is inside the cooldown.
    const refused = await invoke(working, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expect(refused.result.statusCode).toBe(429);
    // The code mailed before the fault verifies.
    const verified = await invoke(working, ROUTES.verifyCode.path, { token: await tokenFor(email), body: JSON.stringify({ code }) });
    expect([verified.result.statusCode, verified.body]).toEqual([200, { email, emailVerified: true }]);
  });

  test('email 0 and the revert fails too: the quota stays charged, and the service logger says so at ERROR', async () => {
    const { email } = await started('fault-revert');
    const brokenSes = new SESClient({ endpoint: await refusingEndpoint(), region, credentials, maxAttempts: 1 });
    // The resend's own write lands; the undo after the failed mail (a write of its own) does not.
    const deps = build({ ses: brokenSes, dynamodb: failingDynamoDb(['UpdateItemCommand', 'DeleteItemCommand'], 1) });
    output.clear();
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email) });
    expectStageError(response, { group: 'email', code: 0, message: 'Failed to send email.' });
    const errors = output.logs().filter((entry) => entry.level === 'ERROR');
    expect(errors.map((entry) => entry.message).sort()).toEqual(['request', 'revert after a failed send failed: the quota stays charged']);
    const revert = errors.find((entry) => entry.message !== 'request')!;
    expect(revert).toMatchObject({ service: 'email-verification', error: { name: 'Error', message: 'injected UpdateItemCommand failure' } });
    // The operator finds the request it belongs to.
    const request = errors.find((entry) => entry.message === 'request')!;
    expect(revert.function_request_id).toEqual(expect.any(String));
    expect(revert.function_request_id).toBe(request.function_request_id);
    expect(output.lines.join('\n')).not.toContain(email);
  });

  test('email 0 on the first mail: no record is left behind, and the start can be retried', async () => {
    const email = freshAddress('fault-email-start');
    const brokenSes = new SESClient({ endpoint: await refusingEndpoint(), region, credentials, maxAttempts: 1 });
    const failure = await startEmailVerification(email, { dependencies: build({ ses: brokenSes }) }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StageFailedError);
    expect((failure as StageFailedError).stage).toBe('send-mail');
    expect(await rawItem(email)).toBeUndefined();
    await startEmailVerification(email, { dependencies: working });
    expect(await mailsTo(email)).toHaveLength(1);
  });

  test('with EXPOSE_ERROR_TRACES=false, traces hold the request id alone', async () => {
    const { email } = await started('fault-no-traces');
    const hidden = loadConfig({ ...process.env, EXPOSE_ERROR_TRACES: 'false' });
    expect(hidden.exposeErrorTraces).toBe(false);
    const deps = build(
      {
        random: () => {
          throw new Error('injected secret detail');
        },
      },
      { ...config, exposeErrorTraces: hidden.exposeErrorTraces },
    );
    const requestId = randomUUID();
    const response = await invoke(deps, ROUTES.resendCode.path, { token: await tokenFor(email), requestId });
    expect(response.result.statusCode).toBe(500);
    expect(response.body).toEqual({ group: 'user', code: 404, message: 'Create OTP code encountered error.', traces: [requestId] });
    expect(response.result.body).not.toContain('injected secret detail');

    const brokenDb = build({ dynamodb: failingDynamoDb(['UpdateItemCommand']) }, { ...config, exposeErrorTraces: false });
    const other = await invoke(brokenDb, ROUTES.resendCode.path, { token: await tokenFor(email), requestId });
    expect(other.body).toEqual({ group: 'user', code: 403, message: 'Save user email verification data encountered error.', traces: [requestId] });
  });
});
