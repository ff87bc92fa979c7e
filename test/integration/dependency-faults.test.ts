/**
 * Outages of real dependencies, met by the real handlers: a DynamoDB Local this file owns,
 * stopped with SIGSTOP and killed; SES stalled (a TCP peer that accepts and never answers),
 * failing (InternalFailure) and throttled (Throttling), each from a real network endpoint. Every
 * case answers its documented code well under 5 s, mails nothing afterwards, leaves the state as
 * it was (or, for a write the stall swallowed, as the README's rule says), and works again when
 * the dependency is back, without a restart.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createServiceTable, startDynamoDbLocal, type DynamoDbLocal } from '../../local/services.js';
import { recordKey } from '../../src/adapters/dynamodb-verification-store.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { startSesImpostor, startStallingPeer, type SesVerdict } from '../support/fault-peers.js';
import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import { iamEvent, inProcessService, pageEvent, rpcEvent, timed, type InProcessService } from '../support/in-process.js';
import { freshAccessKey, parseXml, type SendLists } from '../support/rpc-clients.js';
import { captureServiceOutput, type ServiceOutput } from '../support/service-output.js';
import { extractCode, extractLink, mailsTo } from '../support/ses-inbox.js';

type Item = Record<string, AttributeValue>;

/** "Well before the deadline": every answer with a dependency down comes within this. */
const ANSWER_BOUND_MS = 5_000;
const SES_ENDPOINT = process.env.SES_ENDPOINT!;
const TABLE = process.env.TABLE_NAME!;
const region = process.env.AWS_REGION ?? 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const worst: Record<string, number> = {};
// The failures' log lines are the service's to print, not the test output's.
let output: ServiceOutput;

beforeAll(() => {
  output = captureServiceOutput();
});
afterAll(() => {
  output.restore();
  console.log(`[dependency-faults] slowest answer per fault (ms): ${JSON.stringify(worst)}`);
});

// Java takes seconds to start: it starts with the file, and the SES cases run meanwhile.
const dataDir = mkdtempSync(path.join(tmpdir(), 'ddb-faults-'));
const ownDynamoDb = startDynamoDbLocal({ dataDir });
ownDynamoDb.catch(() => undefined);

function note(fault: string, ms: number): void {
  worst[fault] = Math.max(worst[fault] ?? 0, ms);
  expect(ms).toBeLessThan(ANSWER_BOUND_MS);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, unknown>;

function rawReader(endpoint: string) {
  const client = new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 1 });
  return {
    item: async (email: string): Promise<Item | undefined> =>
      (await client.send(new GetItemCommand({ TableName: TABLE, Key: recordKey(email), ConsistentRead: true }))).Item,
    destroy: () => client.destroy(),
  };
}

async function submit(service: InProcessService, emails: readonly string[]): Promise<void> {
  const answer = json(await service.invoke('rpc', rpcEvent(service.key, { Action: 'SubmitEmailVerification', Email: emails.join(','), Format: 'JSON' })));
  expect((answer as unknown as SendLists).SuccessList).toHaveLength(emails.length);
}

async function mailCount(email: string): Promise<number> {
  return (await mailsTo(email)).length;
}

describe('SES down (the shared DynamoDB Local; SES_ENDPOINT is a misbehaving peer)', () => {
  const key = freshAccessKey('ses-faults');
  let working: InProcessService;
  let raw: ReturnType<typeof rawReader>;

  beforeAll(async () => {
    working = await inProcessService({ RESEND_COOLDOWN_SECONDS: '0' }, { key });
    raw = rawReader(process.env.DYNAMODB_ENDPOINT!);
  });
  afterAll(() => raw?.destroy());

  /** Addresses with one mail each: `iam` in the IAM loop (with its token), `rpc` submitted by RPC. */
  async function started(label: string, rpcCount: number) {
    const iam = freshAddress(`${label}-iam`);
    const token = await startEmailVerification(iam, { dependencies: working.deps });
    const rpc = freshAddresses(rpcCount, `${label}-rpc`);
    await submit(working, rpc);
    const before = new Map<string, Item | undefined>();
    for (const email of [iam, ...rpc]) before.set(email, await raw.item(email));
    return { iam, token, code: extractCode((await mailsTo(iam))[0]!), rpc, before };
  }

  async function expectUnchanged(before: Map<string, Item | undefined>): Promise<void> {
    for (const [email, item] of before) {
      expect([email, await raw.item(email)]).toEqual([email, item]);
      expect([email, await mailCount(email)]).toEqual([email, 1]);
    }
  }

  test('stalled (accepts, never answers): IAM email 0, SendEmailFailed for the batch in one SES timeout, nothing charged; back without a restart', async () => {
    const peer = await startStallingPeer(SES_ENDPOINT);
    try {
      // Two addresses at a time: without the batch giving up after the first timeout, four
      // addresses would take two SES timeouts, over the bound.
      const stalled = await inProcessService({ SES_ENDPOINT: peer.endpoint, RESEND_COOLDOWN_SECONDS: '0', RPC_BATCH_CONCURRENCY: '2' }, { key });
      const { iam, token, code, rpc, before } = await started('ses-stall', 4);
      output.clear();
      const [resend, batch] = await Promise.all([
        timed(stalled.invoke('iam', iamEvent('resendCode', token))),
        timed(stalled.invoke('rpc', rpcEvent(key, { Action: 'ResendEmailVerification', Email: rpc.join(','), Format: 'JSON' }))),
      ]);
      note('ses-stalled', resend.ms);
      note('ses-stalled', batch.ms);
      expect([resend.value.statusCode, json(resend.value)]).toMatchObject([500, { group: 'email', code: 0 }]);
      const lists = json(batch.value) as unknown as SendLists;
      expect(lists.SuccessList).toEqual([]);
      expect(lists.FailList.map((entry) => [entry.Email, entry.Code])).toEqual(rpc.map((email) => [email, 'SendEmailFailed']));
      // Each failed request is logged as an error, for the operator's alarm and search.
      const errors = output.logs().filter((entry) => entry.level === 'ERROR' && entry.message === 'request');
      expect(errors.map((entry) => [entry.api, entry.outcome ?? entry.failCodes]).sort()).toEqual([
        ['iam', 'STAGE_FAILED'],
        ['rpc', ['SendEmailFailed']],
      ]);
      // Every abandoned SES connection was closed by the client when it gave up.
      await sleep(200);
      expect(peer.held().closedByClient).toBe(peer.held().accepted);
      await expectUnchanged(before);

      peer.recover();
      expect((await stalled.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
      const again = json(await stalled.invoke('rpc', rpcEvent(key, { Action: 'ResendEmailVerification', Email: rpc[0]!, Format: 'JSON' })));
      expect((again as unknown as SendLists).SuccessList).toHaveLength(1);
      // The code mailed before the outage still verifies.
      expect((await stalled.invoke('iam', iamEvent('verifyCode', token, { code }))).statusCode).toBe(200);
      expect(await mailCount(iam)).toBe(2);
    } finally {
      await peer.close();
    }
  }, 60_000);

  test('failing (InternalFailure, retried within the budget): IAM email 0, SendEmailFailed, nothing charged; back without a restart', async () => {
    const impostor = await startSesImpostor(SES_ENDPOINT, () => 'fail');
    try {
      const failing = await inProcessService({ SES_ENDPOINT: impostor.endpoint, RESEND_COOLDOWN_SECONDS: '0' }, { key });
      const { iam, token, code, rpc, before } = await started('ses-fail', 2);
      const [resend, batch] = await Promise.all([
        timed(failing.invoke('iam', iamEvent('resendCode', token))),
        timed(failing.invoke('rpc', rpcEvent(key, { Action: 'ResendEmailVerification', Email: rpc.join(','), Format: 'JSON' }))),
      ]);
      note('ses-failing', resend.ms);
      note('ses-failing', batch.ms);
      expect([resend.value.statusCode, json(resend.value)]).toMatchObject([500, { group: 'email', code: 0 }]);
      expect((json(batch.value) as unknown as SendLists).FailList.map((entry) => entry.Code)).toEqual(['SendEmailFailed', 'SendEmailFailed']);
      // The SDK retried each mail (a 5xx is worth retrying) before giving up.
      expect(impostor.attempts.get(iam)?.length).toBeGreaterThan(1);
      await expectUnchanged(before);

      impostor.decide(() => 'forward');
      expect((await failing.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
      expect((await failing.invoke('iam', iamEvent('verifyCode', token, { code }))).statusCode).toBe(200);
    } finally {
      await impostor.close();
    }
  }, 60_000);

  test('throttled once (Throttling): the resend succeeds after a bounded backoff, one mail, charged once', async () => {
    const email = freshAddress('ses-throttle-single');
    const impostor = await startSesImpostor(SES_ENDPOINT, (recipient, attempt) => (recipient === email && attempt === 1 ? 'throttle' : 'forward'));
    try {
      const throttled = await inProcessService({ SES_ENDPOINT: impostor.endpoint, RESEND_COOLDOWN_SECONDS: '0' }, { key });
      const token = await startEmailVerification(email, { dependencies: working.deps });
      const sendsBefore = (await working.deps.store.find(email))!.sendLog.filter(Boolean).length;
      const answer = await timed(throttled.invoke('iam', iamEvent('resendCode', token)));
      note('ses-throttled', answer.ms);
      expect(answer.value.statusCode).toBe(201);
      expect(impostor.attempts.get(email)).toEqual(['throttle', 'forward']);
      expect(await mailCount(email)).toBe(2);
      expect((await working.deps.store.find(email))!.sendLog.filter(Boolean)).toHaveLength(sendsBefore + 1);
    } finally {
      await impostor.close();
    }
  }, 30_000);

  test('throttled in a batch: retries are held back; always-throttled addresses end SendEmailFailed uncharged, once-throttled ones succeed after a bounded backoff or fail uncharged', async () => {
    const always = freshAddresses(6, 'ses-throttle-always');
    const once = freshAddresses(2, 'ses-throttle-once');
    const rule = (recipient: string, attempt: number): SesVerdict =>
      always.includes(recipient) || (once.includes(recipient) && attempt === 1) ? 'throttle' : 'forward';
    const impostor = await startSesImpostor(SES_ENDPOINT, rule);
    try {
      const throttled = await inProcessService({ SES_ENDPOINT: impostor.endpoint, RESEND_COOLDOWN_SECONDS: '0' }, { key });
      await submit(working, [...always, ...once]);
      const unaffected = freshAddresses(2, 'ses-throttle-ok');
      await submit(working, unaffected);
      const before = new Map<string, Item | undefined>();
      for (const email of [...always, ...once]) before.set(email, await raw.item(email));

      const batch = [unaffected[0]!, ...always.slice(0, 3), once[0]!, ...always.slice(3), once[1]!, unaffected[1]!];
      const answer = await timed(throttled.invoke('rpc', rpcEvent(key, { Action: 'ResendEmailVerification', Email: batch.join(','), Format: 'JSON' })));
      note('ses-throttled', answer.ms);
      const lists = json(answer.value) as unknown as SendLists;
      const codeOf = (email: string) => [...lists.SuccessList, ...lists.FailList].find((entry) => entry.Email === email)?.Code;
      for (const email of unaffected) expect([email, codeOf(email), await mailCount(email)]).toEqual([email, 'Success', 2]);
      for (const email of always) {
        expect([email, codeOf(email), await mailCount(email), await raw.item(email)]).toEqual([email, 'SendEmailFailed', 1, before.get(email)]);
        // Retries are held back (adaptive mode) and bounded, then given up within the budget.
        expect(impostor.attempts.get(email)!.length).toBeLessThanOrEqual(3);
      }
      for (const email of once) {
        const code = codeOf(email);
        if (code === 'Success') {
          expect([email, await mailCount(email), impostor.attempts.get(email)]).toEqual([email, 2, ['throttle', 'forward']]);
        } else {
          expect([email, code, await mailCount(email), await raw.item(email)]).toEqual([email, 'SendEmailFailed', 1, before.get(email)]);
        }
      }
      expect(lists.SuccessList.length).toBeGreaterThanOrEqual(2);
      // After the first Throttling the client slows the whole function instance down (adaptive
      // retry mode): far fewer than the three tries each that independent retries would make.
      const throttledAttempts = [...always, ...once].reduce((sum, email) => sum + impostor.attempts.get(email)!.length, 0);
      expect(throttledAttempts).toBeLessThanOrEqual(12);
    } finally {
      await impostor.close();
    }
  }, 60_000);

  test('N overlapping sends to one address while SES fails leave its quota and live codes as they were; then the next send goes out and the earlier code verifies', async () => {
    const impostor = await startSesImpostor(SES_ENDPOINT, () => 'fail');
    try {
      const failing = await inProcessService({ SES_ENDPOINT: impostor.endpoint, RESEND_COOLDOWN_SECONDS: '0' }, { key });
      const email = freshAddress('ses-overlap');
      const address = normalizeEmailAddress(email);
      const token = await startEmailVerification(email, { dependencies: working.deps });
      const first = extractCode((await mailsTo(email))[0]!);
      expect((await working.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
      const second = extractCode((await mailsTo(email))[1]!);
      const essentials = async () => {
        const record = (await working.deps.store.find(address.key))!;
        return { sendLog: record.sendLog, current: record.currentOtp, previous: record.previousOtp, guesses: record.guesses };
      };
      const before = await essentials();

      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all([
          ...Array.from({ length: 4 }, () => failing.invoke('iam', iamEvent('resendCode', token))),
          ...Array.from({ length: 2 }, () =>
            failing.invoke('rpc', rpcEvent(key, { Action: 'ResendEmailVerification', Email: email, Format: 'JSON' })),
          ),
        ]);
        for (const answer of answers.slice(0, 4)) expect([500, 429]).toContain(answer.statusCode);
        expect(await essentials()).toEqual(before);
      }
      expect(await mailCount(email)).toBe(2);

      impostor.decide(() => 'forward');
      expect((await failing.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
      expect(await mailCount(email)).toBe(3);
      // Both codes mailed before the outage were still live when it ended; the one before the
      // newest is the previous code now, and verifies.
      expect((await failing.invoke('iam', iamEvent('verifyCode', token, { code: second }))).statusCode).toBe(200);
      expect(first).toMatch(/^\d{6}$/);
    } finally {
      await impostor.close();
    }
  }, 60_000);
});

describe('Secrets Manager unreachable at cold start', () => {
  test('loading the secrets fails within the cap instead of hanging the init', async () => {
    const peer = await startStallingPeer();
    const previous = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = peer.endpoint;
    try {
      const env = { ...process.env, TOKEN_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token' };
      const outcome = await timed(loadServiceSecrets(env).then(() => 'loaded', (error: Error) => error.name));
      note('secrets-stalled', outcome.ms);
      expect(outcome.value).toBe('DependencyTimeoutError');
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previous;
      await peer.close();
    }
  });
});

describe('DynamoDB down (a DynamoDB Local this file owns)', () => {
  let dynamodb: DynamoDbLocal;
  let service: InProcessService;
  let raw: ReturnType<typeof rawReader>;

  beforeAll(async () => {
    dynamodb = await ownDynamoDb;
    await createServiceTable(dynamodb.endpoint, TABLE);
    service = await inProcessService({ DYNAMODB_ENDPOINT: dynamodb.endpoint, RESEND_COOLDOWN_SECONDS: '0' });
    raw = rawReader(dynamodb.endpoint);
  }, 90_000);

  afterAll(async () => {
    raw?.destroy();
    if (dynamodb) {
      try {
        process.kill(dynamodb.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await dynamodb.stop();
    }
    await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  test('stalled (SIGSTOP): IAM 403, RPC InternalError in the format asked, the page unavailable; nothing mailed after; back without a restart', async () => {
    const iamAddress = freshAddress('ddb-stall-iam');
    const token = await startEmailVerification(iamAddress, { dependencies: service.deps });
    const mailedCode = extractCode((await mailsTo(iamAddress))[0]!);
    const [rpcAddress] = freshAddresses(1, 'ddb-stall-rpc') as [string];
    await submit(service, [rpcAddress]);
    const link = extractLink((await mailsTo(rpcAddress))[0]!);
    const before = { iam: await raw.item(iamAddress), rpc: await raw.item(rpcAddress) };

    process.kill(dynamodb.pid, 'SIGSTOP');
    let answers: { value: APIGatewayProxyResult; ms: number }[];
    try {
      answers = await Promise.all([
        timed(service.invoke('iam', iamEvent('resendCode', token))),
        timed(service.invoke('rpc', rpcEvent(service.key, { Action: 'ResendEmailVerification', Email: rpcAddress, Format: 'JSON' }))),
        timed(service.invoke('rpc', rpcEvent(service.key, { Action: 'ResendEmailVerification', Email: rpcAddress }, { method: 'POST' }))),
        timed(service.invoke('rpc', pageEvent(link))),
      ]);
    } finally {
      process.kill(dynamodb.pid, 'SIGCONT');
    }
    const [iam, rpcJson, rpcXml, page] = answers;
    for (const answer of answers) note('dynamodb-stalled', answer.ms);
    expect(iam!.value.statusCode).toBe(500);
    expect(json(iam!.value)).toMatchObject({ group: 'user', code: 403 });
    expect([rpcJson!.value.statusCode, json(rpcJson!.value).Code]).toEqual([500, 'InternalError']);
    expect(rpcXml!.value.headers?.['Content-Type']).toBe('text/xml;charset=utf-8');
    expect((parseXml(rpcXml!.value.body).Error as Record<string, unknown>).Code).toBe('InternalError');
    expect(page!.value.statusCode).toBe(503);

    // Resumed, DynamoDB works through what it had buffered; the requests that answered send nothing.
    await sleep(1_500);
    expect(await mailCount(iamAddress)).toBe(1);
    expect(await mailCount(rpcAddress)).toBe(1);
    // The RPC request stopped at its nonce: the record is as it was.
    expect(await raw.item(rpcAddress)).toEqual(before.rpc);
    // The IAM resend's write timed out and may have landed (the README's rule): then the record
    // carries that one send, never mailed, and the mailed code is still live.
    const after = (await service.deps.store.find(iamAddress))!;
    const sendsBefore = before.iam!.sendLog!.L!.filter((entry) => entry.N !== '0').length;
    expect(after.sendLog.filter(Boolean).length - sendsBefore).toBeLessThanOrEqual(1);
    const live = [after.currentOtp, after.previousOtp].filter((otp) => otp !== undefined);
    expect(service.deps.verify.otps.match(mailedCode, iamAddress, live)).toBeDefined();

    // Back without a restart: the same handlers serve again.
    expect((await service.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
    const rpcAgain = json(await service.invoke('rpc', rpcEvent(service.key, { Action: 'ResendEmailVerification', Email: rpcAddress, Format: 'JSON' })));
    expect((rpcAgain as unknown as SendLists).SuccessList).toHaveLength(1);
    const newest = extractCode((await mailsTo(iamAddress)).at(-1)!);
    expect((await service.invoke('iam', iamEvent('verifyCode', token, { code: newest }))).statusCode).toBe(200);
  }, 60_000);

  test('killed, then started again on its data: fast 403 / InternalError, nothing written or mailed; back without a restart', async () => {
    const iamAddress = freshAddress('ddb-kill-iam');
    const token = await startEmailVerification(iamAddress, { dependencies: service.deps });
    const mailedCode = extractCode((await mailsTo(iamAddress))[0]!);
    const [rpcAddress] = freshAddresses(1, 'ddb-kill-rpc') as [string];
    await submit(service, [rpcAddress]);
    const before = { iam: await raw.item(iamAddress), rpc: await raw.item(rpcAddress) };

    process.kill(-dynamodb.pid, 'SIGKILL');
    await dynamodb.stop();
    const answers = await Promise.all([
      timed(service.invoke('iam', iamEvent('resendCode', token))),
      timed(service.invoke('iam', iamEvent('verifyCode', token, { code: mailedCode }))),
      timed(service.invoke('rpc', rpcEvent(service.key, { Action: 'ResendEmailVerification', Email: rpcAddress, Format: 'JSON' }))),
    ]);
    for (const answer of answers) note('dynamodb-killed', answer.ms);
    expect(answers.map((answer) => [answer.value.statusCode, json(answer.value).code ?? json(answer.value).Code])).toEqual([
      [500, 403],
      [500, 403],
      [500, 'InternalError'],
    ]);

    dynamodb = await startDynamoDbLocal({ port: dynamodb.port, dataDir });
    expect(await raw.item(iamAddress)).toEqual(before.iam);
    expect(await raw.item(rpcAddress)).toEqual(before.rpc);
    expect(await mailCount(iamAddress)).toBe(1);
    expect(await mailCount(rpcAddress)).toBe(1);

    expect((await service.invoke('iam', iamEvent('resendCode', token))).statusCode).toBe(201);
    expect((await service.invoke('iam', iamEvent('verifyCode', token, { code: mailedCode }))).statusCode).toBe(200);
  }, 90_000);
});
