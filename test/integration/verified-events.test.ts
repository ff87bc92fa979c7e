/**
 * The EmailVerified event end to end: addresses verified through each of the three paths (the
 * IAM code, the RPC VerifyEmail with the link's token, and the page's POST) against the real
 * handlers behind the local API Gateway bridge, and the events read from DynamoDB Local's stream
 * through the pipe's own filter and template, as `npm start` reads them. Every path yields
 * exactly one event with the right method and API; resends, failed guesses, a prefetched link
 * and retries of a verify yield none. The verifying request makes the same DynamoDB calls as
 * before: the event costs it nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ROUTES } from '../../lambdas/routes.js';
import type { TableStreamReader } from '../../local/table-stream.js';
import { startVerifiedEventsReader, type EmailVerifiedEvent } from '../../local/verified-events.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress } from '../support/fresh-address.js';
import {
  linkToken,
  openLink,
  popCoreClient,
  rejection,
  startRpcTestApi,
  submitPageForm,
  type RpcTestApi,
  type SendLists,
} from '../support/rpc-clients.js';
import { extractCode, extractLink, mailsTo, waitForMailTo } from '../support/ses-inbox.js';

const SOURCE = 'test.email-verification';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every DynamoDB command the API's handlers send, by name, in order. */
const dynamoCommands: string[] = [];
const dynamodb = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: process.env.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
dynamodb.middlewareStack.add(
  (next, context) => async (args) => {
    dynamoCommands.push(String(context.commandName));
    return next(args);
  },
  { step: 'initialize', name: 'countCommands' },
);

const events: EmailVerifiedEvent[] = [];
const readErrors: unknown[] = [];
let reader: TableStreamReader;
let api: RpcTestApi;

beforeAll(async () => {
  // Resends without waiting a minute; everything else at its default.
  api = await startRpcTestApi({ env: { RESEND_COOLDOWN_SECONDS: '0' }, overrides: { dynamodb } });
  reader = await startVerifiedEventsReader({
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName: process.env.TABLE_NAME!,
    source: SOURCE,
    // Other test files verify addresses in the same table: only what this file writes counts.
    startingPosition: 'LATEST',
    pollIntervalMs: 100,
    onEvent: (event) => events.push(event),
    onError: (error) => readErrors.push(error),
  });
});

afterAll(async () => {
  await reader?.stop();
  await api?.stop();
  dynamodb.destroy();
});

/** The events for `address`, once the reader has read everything written so far. */
async function eventsFor(address: string): Promise<EmailVerifiedEvent[]> {
  await reader.caughtUp();
  // Every poll succeeded, so "no event" never means "not read".
  expect(readErrors).toEqual([]);
  return events.filter((event) => event.detail.email === address);
}

/** The one event for `address`, checked against the record the verifying write left. */
async function onlyEventFor(address: string, before: number, after: number): Promise<EmailVerifiedEvent> {
  const found = await eventsFor(address);
  expect(found).toHaveLength(1);
  const event = found[0]!;
  expect(event).toMatchObject({ version: '0', 'detail-type': 'EmailVerified', source: SOURCE, resources: [] });
  expect(event.detail.verifiedAt).toMatch(ISO_MS);
  const verifiedAt = Date.parse(event.detail.verifiedAt);
  expect(verifiedAt).toBeGreaterThanOrEqual(before);
  expect(verifiedAt).toBeLessThanOrEqual(after);
  const record = await api.deps.store.find(address);
  expect(record?.verifiedAt).toBe(verifiedAt);
  // Nothing secret: no code, no hash, no token in the event.
  expect(Object.keys(event.detail).sort()).toEqual(['accessKeyId', 'api', 'email', 'lang', 'method', 'verifiedAt']);
  return event;
}

function iamPost(path: string, token: string, body?: unknown) {
  return fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    // The language of the latest mail is the record's: Chinese throughout.
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Accept-Language': 'zh-CN' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const rpc = <T>(action: string, params: Record<string, string>) =>
  popCoreClient(api.baseUrl, api.key).request<T>(action, { Format: 'JSON', ...params }, { method: 'POST' });

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

test('IAM code: a resend and a wrong guess give nothing, the right code one event (code, iam), a retry nothing', async () => {
  const address = freshAddress('event-iam');
  const token = await startEmailVerification(address, { dependencies: api.deps, lang: 'zh' });
  await waitForMailTo(address);
  const resent = await iamPost(ROUTES.resendCode.path, token);
  expect(resent.status).toBe(201);
  const code = extractCode(await waitForMailTo(address, { after: 1 }));
  expect((await iamPost(ROUTES.verifyCode.path, token, { code: wrongCode(code) })).status).toBe(400);
  expect(await eventsFor(address)).toEqual([]);

  const before = Date.now();
  dynamoCommands.length = 0;
  const verified = await iamPost(ROUTES.verifyCode.path, token, { code });
  const after = Date.now();
  expect(verified.status).toBe(200);
  // The guess is counted, then the record verified: two conditional writes, as without events.
  expect(dynamoCommands).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);

  // Retried, as a client that missed the answer would: refused, and no second event.
  expect((await iamPost(ROUTES.verifyCode.path, token, { code })).status).toBe(401);

  const event = await onlyEventFor(address, before, after);
  expect(event.detail).toMatchObject({ email: address, method: 'code', api: 'iam', accessKeyId: '', lang: 'zh' });
});

test('RPC VerifyEmail: a resend and a bad token give nothing, the link token one event (link, rpc, the submitting key)', async () => {
  const address = freshAddress('event-rpc');
  expect((await rpc<SendLists>('SubmitEmailVerification', { Email: address })).SuccessList).toHaveLength(1);
  expect((await rpc<SendLists>('ResendEmailVerification', { Email: address })).SuccessList).toHaveLength(1);
  const token = linkToken(extractLink(await waitForMailTo(address, { after: 1 })));
  expect((await rejection(rpc('VerifyEmail', { Token: `${token}x` }))).code).toBe('InvalidToken');
  expect(await eventsFor(address)).toEqual([]);

  const before = Date.now();
  dynamoCommands.length = 0;
  await rpc('VerifyEmail', { Token: token });
  const after = Date.now();
  // The nonce is claimed, then the record verified: as without events.
  expect(dynamoCommands).toEqual(['PutItemCommand', 'UpdateItemCommand']);
  expect((await rejection(rpc('VerifyEmail', { Token: token }))).code).toBe('EmailAlreadyVerified');

  const event = await onlyEventFor(address, before, after);
  expect(event.detail).toMatchObject({ email: address, method: 'link', api: 'rpc', accessKeyId: api.key.accessKeyId, lang: 'en' });
});

test("the page: opening the link gives nothing, the confirm POST one event (link, rpc), a second POST nothing", async () => {
  const address = freshAddress('event-page');
  await rpc('SubmitEmailVerification', { Email: address, Lang: 'zh' });
  const link = extractLink((await mailsTo(address))[0]!);
  // A link scanner's prefetch and the person's first look only show the form.
  const page = await openLink(link);
  await openLink(link);
  expect(await eventsFor(address)).toEqual([]);

  const before = Date.now();
  const confirmed = await submitPageForm(link, page.html);
  const after = Date.now();
  expect(confirmed.status).toBe(200);
  expect((await submitPageForm(link, page.html)).status).toBe(200);

  const event = await onlyEventFor(address, before, after);
  expect(event.detail).toMatchObject({ email: address, method: 'link', api: 'rpc', accessKeyId: api.key.accessKeyId, lang: 'zh' });
});

test('resending to a verified address and submitting it again give nothing more', async () => {
  const address = freshAddress('event-after');
  await rpc('SubmitEmailVerification', { Email: address });
  const token = linkToken(extractLink((await mailsTo(address))[0]!));
  await rpc('VerifyEmail', { Token: token });
  await rpc('ResendEmailVerification', { Email: address });
  await rpc('SubmitEmailVerification', { Email: address, SendIfExist: 'true' });
  expect((await eventsFor(address)).map((event) => event.detail.method)).toEqual(['link']);
});
