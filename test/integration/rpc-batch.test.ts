/**
 * Batches through the RPC endpoint, each test on its own API built with
 * `createRpcHandler(createServiceDependencies(config, secrets, overrides))` behind the local API
 * Gateway bridge (own limits, own access key, a real clock offset or a real SES client with one
 * injected fault), against DynamoDB Local and the local SES. Mails are counted in the SES store.
 */
import { randomInt } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SESClient, type SendEmailCommandInput } from '@aws-sdk/client-ses';

import { requestLimits } from '../../src/domain/request-limits.js';

import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import {
  freshAccessKey,
  freshClientIp,
  linkToken,
  openLink,
  popCoreClient,
  startRpcTestApi,
  submitPageForm,
  type RpcTestApi,
  type SendLists,
  type SendResult,
} from '../support/rpc-clients.js';
import { extractCode, extractLink, isAddressedTo, mailsTo, readInbox } from '../support/ses-inbox.js';
import { ROUTES } from '../../lambdas/routes.js';
import { captureServiceOutput } from '../support/service-output.js';


const apis: RpcTestApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.stop()));
});

async function startApi(options: Parameters<typeof startRpcTestApi>[0] = {}): Promise<RpcTestApi> {
  const api = await startRpcTestApi(options);
  apis.push(api);
  return api;
}

function rpc(api: RpcTestApi, action: string, params: Record<string, string>): Promise<SendLists> {
  // pop-core's own read timeout is 3 s: tests that send dozens of requests at once on a busy
  // machine need longer.
  return popCoreClient(api.baseUrl, api.key).request<SendLists>(action, { Format: 'JSON', ...params }, { method: 'POST', timeout: 20_000 });
}

/** How many mails each address has in the SES store, from one read of it. */
async function mailCounts(addresses: readonly string[]): Promise<Map<string, number>> {
  const inbox = await readInbox();
  return new Map(addresses.map((address) => [address, inbox.filter((mail) => isAddressedTo(mail, address)).length]));
}

function codesOf(list: readonly SendResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of list) counts[entry.Code] = (counts[entry.Code] ?? 0) + 1;
  return counts;
}

async function iamResend(api: RpcTestApi, token: string) {
  const response = await fetch(`${api.baseUrl}${ROUTES.resendCode.path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

async function iamVerify(api: RpcTestApi, token: string, code: string) {
  const response = await fetch(`${api.baseUrl}${ROUTES.verifyCode.path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a batch of 50: valid, invalid, duplicates, over quota, never submitted, verified; one mail per success', async () => {
  // Default quota (60 s cooldown); the service clock is moved on by 61 s between submit and resend.
  let offsetMs = 0;
  const api = await startApi({ overrides: { clock: () => Date.now() + offsetMs } });

  const valid = freshAddresses(20, 'batch-valid');
  const verified = freshAddresses(5, 'batch-verified');
  const overQuota = freshAddresses(6, 'batch-quota');
  const never = freshAddresses(6, 'batch-never');
  const invalid = ['plain', 'a@b', 'x@@example.com', '@example.com', 'user@', 'sp ace@example.com', 'a..b@example.com', 'u@-bad.com'];
  const duplicates = valid.slice(0, 5).map((address, i) => (i % 2 === 0 ? address.toUpperCase() : ` ${address.replace('@example.com', '@EXAMPLE.COM')} `));

  const submitted = await rpc(api, 'SubmitEmailVerification', { Email: [...valid, ...verified].join(',') });
  expect(submitted.SuccessList).toHaveLength(25);
  for (const address of verified) {
    const token = linkToken(extractLink((await mailsTo(address))[0]!));
    await popCoreClient(api.baseUrl, api.key).request('VerifyEmail', { Token: token }, { method: 'POST' });
  }
  offsetMs = 61_000;
  expect((await rpc(api, 'SubmitEmailVerification', { Email: overQuota.join(',') })).SuccessList).toHaveLength(6);
  const before = await mailCounts([...valid, ...verified, ...overQuota, ...never]);

  // Interleaved, so no kind of entry sits in one block.
  const groups = [valid, invalid, overQuota, duplicates, never, verified];
  const batch: string[] = [];
  for (let i = 0; batch.length < 50; i += 1) for (const group of groups) if (group[i] !== undefined) batch.push(group[i]!);
  expect(batch).toHaveLength(50);

  const answer = await rpc(api, 'ResendEmailVerification', { Email: batch.join(',') });

  expect(answer.SuccessList.map((entry) => entry.Email).sort()).toEqual([...valid].sort());
  expect(answer.SuccessList.every((entry) => entry.Code === 'Success' && entry.Message === 'Success')).toBe(true);
  expect(codesOf(answer.FailList)).toEqual({
    ParameterIllegall: 8,
    SendTokenQuotaExceeded: 6,
    EmailNotSubmitted: 6,
    EmailAlreadyVerified: 5,
  });
  const failed = (code: string) => answer.FailList.filter((entry) => entry.Code === code).map((entry) => entry.Email).sort();
  expect(failed('ParameterIllegall')).toEqual([...invalid].sort());
  expect(failed('SendTokenQuotaExceeded')).toEqual([...overQuota].sort());
  expect(failed('EmailNotSubmitted')).toEqual([...never].sort());
  expect(failed('EmailAlreadyVerified')).toEqual([...verified].sort());
  // Duplicates are listed (and sent) once, under their first spelling.
  expect(answer.SuccessList.length + answer.FailList.length).toBe(45);

  const after = await mailCounts([...valid, ...verified, ...overQuota, ...never]);
  for (const address of valid) expect([address, after.get(address)! - before.get(address)!]).toEqual([address, 1]);
  for (const address of [...verified, ...overQuota, ...never]) {
    expect([address, after.get(address)! - before.get(address)!]).toEqual([address, 0]);
  }
});

test('an SES failure for one address: it alone fails (SendEmailFailed), uncharged, its earlier link and code still work', async () => {
  const env = { RESEND_COOLDOWN_SECONDS: '0', RESEND_MAX_PER_WINDOW: '3' };
  const normal = await startApi({ env });
  const [good1, good2, bad1, bad2] = [freshAddress('ses-good'), freshAddress('ses-good'), freshAddress('ses-bad'), freshAddress('ses-bad')];

  // A real SES client to the local SES that fails, before sending, for the two bad recipients.
  const ses = new SESClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint: process.env.SES_ENDPOINT! });
  ses.middlewareStack.add(
    (next) => async (args) => {
      const to = (args.input as SendEmailCommandInput).Destination?.ToAddresses ?? [];
      if (to.includes(bad1) || to.includes(bad2)) {
        throw Object.assign(new Error('Email address is not verified (injected)'), { name: 'MessageRejected' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'rejectBadRecipients' },
  );
  const faulty = await startApi({ env, key: normal.key, overrides: { ses }, publicBaseUrl: normal.baseUrl });

  expect((await rpc(normal, 'SubmitEmailVerification', { Email: `${bad1},${good1},${good2}` })).SuccessList).toHaveLength(3);
  const firstLink = extractLink((await mailsTo(bad1))[0]!);
  // bad2 is in the IAM loop: started, then resent once, so two codes are live.
  const token = await startEmailVerification(bad2, { dependencies: normal.deps });
  const firstCode = extractCode((await mailsTo(bad2))[0]!);
  expect((await iamResend(normal, token)).status).toBe(201);

  const output = captureServiceOutput();
  const answer = await rpc(faulty, 'ResendEmailVerification', { Email: `${good1},${bad1},${bad2},${good2}` }).finally(() => output.restore());
  expect(answer.SuccessList.map((entry) => entry.Email)).toEqual([good1, good2]);
  // One error line for the request, naming the failure but no address in full.
  const errors = output.logs().filter((entry) => entry.level === 'ERROR');
  expect(errors.map((entry) => [entry.sent, entry.failCodes])).toEqual([[2, ['SendEmailFailed']]]);
  expect(output.lines.join('\n')).not.toContain(bad1);
  const sendFailed = (Email: string) => ({
    Email,
    Code: 'SendEmailFailed',
    Message: 'The verification email could not be sent. Try again later.',
  });
  expect(answer.FailList).toEqual([sendFailed(bad1), sendFailed(bad2)]);
  expect(Object.fromEntries(await mailCounts([good1, good2, bad1, bad2]))).toEqual({ [good1]: 2, [good2]: 2, [bad1]: 1, [bad2]: 2 });

  // The pending record is untouched: the first link still opens its confirm page.
  expect((await openLink(firstLink)).html).toContain('Verify your email address');

  // Not charged: bad1 (1 mail so far) has two more in its window of 3; good1 (2 so far) one more.
  for (let i = 0; i < 2; i += 1) {
    expect((await rpc(normal, 'ResendEmailVerification', { Email: bad1 })).SuccessList).toHaveLength(1);
  }
  expect((await rpc(normal, 'ResendEmailVerification', { Email: bad1 })).FailList.map((e) => e.Code)).toEqual(['SendTokenQuotaExceeded']);
  expect((await rpc(normal, 'ResendEmailVerification', { Email: good1 })).SuccessList).toHaveLength(1);
  expect((await rpc(normal, 'ResendEmailVerification', { Email: good1 })).FailList.map((e) => e.Code)).toEqual(['SendTokenQuotaExceeded']);

  // The link from the first mail still verifies.
  const verified = await submitPageForm(firstLink, (await openLink(firstLink)).html);
  expect(verified.html).toContain('Email address verified');

  // The failed send did not rotate bad2's codes: the first code (two sends back) still verifies.
  const byCode = await iamVerify(normal, token, firstCode);
  expect(byCode).toEqual({ status: 200, body: { email: bad2, emailVerified: true } });
});

describe('per-account daily limit (RPC_MAX_VERIFICATIONS_PER_DAY=3)', () => {
  const env = { RPC_MAX_VERIFICATIONS_PER_DAY: '3' };
  const dailyLimit = (Email: string) => ({
    Email,
    Code: 'DailyLimitExceeded',
    Message: 'The daily limit of verification emails for this account is reached.',
  });

  test('exactly 3 mails across batches, the rest DailyLimitExceeded; another key is not affected', async () => {
    const api = await startApi({ env, key: freshAccessKey('daily') });
    const addresses = freshAddresses(6, 'daily');
    const [n1, n2, n3, n4, n5, n6] = addresses as [string, string, string, string, string, string];

    // Addresses that are not sent to do not count.
    const notSent = await rpc(api, 'ResendEmailVerification', { Email: freshAddresses(3, 'daily-never').join(',') });
    expect(codesOf(notSent.FailList)).toEqual({ EmailNotSubmitted: 3 });

    expect((await rpc(api, 'SubmitEmailVerification', { Email: `${n1},${n2}` })).SuccessList).toHaveLength(2);
    const second = await rpc(api, 'SubmitEmailVerification', { Email: `${n3},${n4},${n5}` });
    expect(second.SuccessList.map((entry) => entry.Email)).toEqual([n3]);
    expect(second.FailList).toEqual([dailyLimit(n4), dailyLimit(n5)]);
    const exhausted = await rpc(api, 'SubmitEmailVerification', { Email: `${n6},${n4}`, Lang: 'zh' });
    expect(exhausted.SuccessList).toEqual([]);
    expect(exhausted.FailList).toEqual([
      { Email: n6, Code: 'DailyLimitExceeded', Message: '该账号当日发送验证邮件的数量已达上限。' },
      { Email: n4, Code: 'DailyLimitExceeded', Message: '该账号当日发送验证邮件的数量已达上限。' },
    ]);
    expect(Object.fromEntries(await mailCounts(addresses))).toEqual({ [n1]: 1, [n2]: 1, [n3]: 1, [n4]: 0, [n5]: 0, [n6]: 0 });

    // The limit is per access key.
    const other = await startApi({ env, key: freshAccessKey('daily-other') });
    expect((await rpc(other, 'SubmitEmailVerification', { Email: n4 })).SuccessList).toHaveLength(1);
  });

  test('entries that fail for another reason do not take the place of a later address in the batch', async () => {
    const api = await startApi({ env: { ...env, RESEND_COOLDOWN_SECONDS: '0' }, key: freshAccessKey('daily-order') });
    const [pending, n1, n2, n3] = freshAddresses(4, 'daily-order') as [string, string, string, string];
    expect((await rpc(api, 'SubmitEmailVerification', { Email: pending })).SuccessList).toHaveLength(1);

    // Two units left; the two never-submitted addresses ahead of `pending` send nothing.
    const [never1, never2] = freshAddresses(2, 'daily-order-never') as [string, string];
    const answer = await rpc(api, 'ResendEmailVerification', { Email: `${never1},${never2},${pending}` });
    expect(answer.SuccessList.map((entry) => entry.Email)).toEqual([pending]);
    expect(answer.FailList.map((entry) => [entry.Email, entry.Code])).toEqual([
      [never1, 'EmailNotSubmitted'],
      [never2, 'EmailNotSubmitted'],
    ]);

    // One unit left, and never more than the limit in all.
    const last = await rpc(api, 'SubmitEmailVerification', { Email: `${n1},${n2},${n3}` });
    expect(last.SuccessList.map((entry) => entry.Email)).toEqual([n1]);
    expect(codesOf(last.FailList)).toEqual({ DailyLimitExceeded: 2 });
    expect(Object.fromEntries(await mailCounts([pending, n1, n2, n3]))).toEqual({ [pending]: 2, [n1]: 1, [n2]: 0, [n3]: 0 });
  });

  test('concurrent batches together send exactly 3', async () => {
    const api = await startApi({ env, key: freshAccessKey('daily-race') });
    const batches = [0, 1, 2].map(() => freshAddresses(2, 'daily-race'));
    const answers = await Promise.all(batches.map((batch) => rpc(api, 'SubmitEmailVerification', { Email: batch.join(',') })));
    const successes = answers.flatMap((answer) => answer.SuccessList);
    const failures = answers.flatMap((answer) => answer.FailList);
    expect(successes).toHaveLength(3);
    expect(codesOf(failures)).toEqual({ DailyLimitExceeded: 3 });
    const counts = await mailCounts(batches.flat());
    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(3);
    for (const entry of successes) expect(counts.get(entry.Email)).toBe(1);
  });
});

test('per-client-IP limit (RPC_MAX_PER_CLIENT_IP_PER_HOUR=2)', async () => {
  const api = await startApi({ env: { RPC_MAX_PER_CLIENT_IP_PER_HOUR: '2' } });
  const ip = freshClientIp();
  const [a, b, c, d, e] = freshAddresses(5, 'client-ip') as [string, string, string, string, string];
  const ipLimit = (Email: string) => ({
    Email,
    Code: 'ClientIpLimitExceeded',
    Message: 'Too many verification emails were requested from this client IP.',
  });

  const first = await rpc(api, 'SubmitEmailVerification', { Email: `${a},${b},${c}`, UserClientIp: ip });
  expect(first.SuccessList.map((entry) => entry.Email)).toEqual([a, b]);
  expect(first.FailList).toEqual([ipLimit(c)]);
  expect((await rpc(api, 'SubmitEmailVerification', { Email: d, UserClientIp: ip })).FailList).toEqual([ipLimit(d)]);
  // Another client IP, or none, is not limited by this one's count.
  expect((await rpc(api, 'SubmitEmailVerification', { Email: d, UserClientIp: freshClientIp() })).SuccessList).toHaveLength(1);
  expect((await rpc(api, 'SubmitEmailVerification', { Email: `${c},${e}` })).SuccessList).toHaveLength(2);
  expect(Object.fromEntries(await mailCounts([a, b, c, d, e]))).toEqual({ [a]: 1, [b]: 1, [c]: 1, [d]: 1, [e]: 1 });
});

test('concurrent resends of one address send exactly what its quota allows', async () => {
  const api = await startApi({ env: { RESEND_COOLDOWN_SECONDS: '0', RESEND_MAX_PER_WINDOW: '5' } });
  const address = freshAddress('race');
  await rpc(api, 'SubmitEmailVerification', { Email: address });
  const answers = await Promise.all(Array.from({ length: 8 }, () => rpc(api, 'ResendEmailVerification', { Email: address })));
  expect(answers.flatMap((answer) => answer.SuccessList)).toHaveLength(4);
  expect(codesOf(answers.flatMap((answer) => answer.FailList))).toEqual({ SendTokenQuotaExceeded: 4 });
  expect(await mailsTo(address)).toHaveLength(5);
});

test('both APIs share one quota per address, and an RPC link verification ends the IAM token', async () => {
  // Default quota: 60 s cooldown. The service clock is moved on instead of waiting.
  let offsetMs = 0;
  const api = await startApi({ overrides: { clock: () => Date.now() + offsetMs } });
  const address = freshAddress('mixed');

  const token = await startEmailVerification(address, { dependencies: api.deps });
  expect(await mailsTo(address)).toHaveLength(1);

  // Within the cooldown of the IAM mail, RPC refuses, and its refusal costs nothing.
  const refused = await rpc(api, 'ResendEmailVerification', { Email: address });
  expect(refused.FailList.map((entry) => entry.Code)).toEqual(['SendTokenQuotaExceeded']);
  const iamRefused = await iamResend(api, token);
  expect(iamRefused.status).toBe(429);
  expect(iamRefused.body).toMatchObject({ group: 'user', code: 400 });
  expect(Number(iamRefused.retryAfter)).toBeGreaterThan(0);
  expect(Number(iamRefused.retryAfter)).toBeLessThanOrEqual(60);
  expect(await mailsTo(address)).toHaveLength(1);

  offsetMs = 61_000;
  expect((await rpc(api, 'ResendEmailVerification', { Email: address })).SuccessList).toHaveLength(1);
  // The RPC mail started a new cooldown for the IAM side too.
  expect((await iamResend(api, token)).status).toBe(429);
  const mails = await mailsTo(address);
  expect(mails).toHaveLength(2);

  const link = extractLink(mails[1]!);
  const verified = await submitPageForm(link, (await openLink(link)).html);
  expect(verified.html).toContain('Email address verified');

  offsetMs = 122_000;
  const afterVerify = await iamResend(api, token);
  expect(afterVerify).toEqual({
    status: 401,
    retryAfter: null,
    body: { group: 'user', code: 406, message: 'Invalid email verification token.' },
  });
  expect((await rpc(api, 'ResendEmailVerification', { Email: address })).FailList.map((entry) => entry.Code)).toEqual([
    'EmailAlreadyVerified',
  ]);
  expect(await mailsTo(address)).toHaveLength(2);
});

test('an address refused for its own reason reports that reason and spends no per-IP unit, even among 60 concurrent requests', async () => {
  const api = await startApi({ env: { RPC_MAX_PER_CLIENT_IP_PER_HOUR: '3' }, key: freshAccessKey('own-reason') });
  // An IPv4 address no other test uses (the benchmarking range), so the counter is this test's.
  const ip = `198.18.${randomInt(256)}.${randomInt(256)}`;
  const blocked = freshAddress('own-reason-blocked');
  expect((await rpc(api, 'SubmitEmailVerification', { Email: blocked })).SuccessList).toHaveLength(1);
  const fresh = freshAddresses(3, 'own-reason-fresh');

  // `blocked` is inside its cooldown: its own reason. The three fresh addresses may use the IP's three units.
  const answers = await Promise.all([
    ...Array.from({ length: 30 }, () => rpc(api, 'ResendEmailVerification', { Email: blocked, UserClientIp: ip })),
    rpc(api, 'SubmitEmailVerification', { Email: fresh.join(','), UserClientIp: ip }),
    ...Array.from({ length: 30 }, () => rpc(api, 'ResendEmailVerification', { Email: blocked, UserClientIp: ip })),
  ]);
  const submitted = answers.splice(30, 1)[0]!;
  expect(codesOf(answers.flatMap((answer) => answer.FailList))).toEqual({ SendTokenQuotaExceeded: 60 });
  expect(submitted.SuccessList.map((entry) => entry.Email)).toEqual(fresh);
  // Units are spent only by addresses that mail: the counter holds exactly the three.
  const [, ipLimit] = requestLimits({ maxPerAccountPerDay: 500, maxPerClientIpPerHour: 3 }, { accountId: api.key.accessKeyId, clientIpKey: ip }, Date.now());
  const counter = await new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION ?? 'us-east-1' }).send(
    new GetItemCommand({ TableName: process.env.TABLE_NAME!, Key: { pk: { S: `LIMIT#${ipLimit!.counterKey}` } }, ConsistentRead: true }),
  );
  expect(counter.Item?.used?.N).toBe('3');
  // The limit is reached now, for a reason that is not the address's own: nothing written for it.
  const late = freshAddress('own-reason-late');
  expect((await rpc(api, 'SubmitEmailVerification', { Email: late, UserClientIp: ip })).FailList.map((entry) => entry.Code)).toEqual([
    'ClientIpLimitExceeded',
  ]);
  expect(await mailsTo(late)).toHaveLength(0);
  await expect(rpc(api, 'QueryEmailVerification', { Email: late })).rejects.toMatchObject({ code: 'EmailNotSubmitted' });
});
