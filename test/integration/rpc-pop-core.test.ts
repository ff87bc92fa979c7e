/**
 * The RPC endpoint through an unmodified @alicloud/pop-core (signature v1), GET and POST, against
 * the real rpc handler module behind the local API Gateway bridge, DynamoDB Local and the local
 * SES. Quota for this file: no cooldown, 3 mails per window, so the whole loop runs without
 * waiting; its own access key, so no other file's account counters or nonces interfere.
 */
import { randomUUID } from 'node:crypto';

import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import { startTestApi, type TestApi } from '../support/local-api.js';
import {
  freshAccessKey,
  freshClientIp,
  linkToken,
  openLink,
  popCoreClient,
  rejection,
  rpcTimestamp,
  signedGetUrl,
  signRpcParams,
  startRpcTestApi,
  encodeRpcParams,
  fetchRaw,
  submitPageForm,
  type AccessKey,
  type ClientError,
  type SendLists,
  type SendResult,
} from '../support/rpc-clients.js';
import { extractLink, mailsTo, type InboxMail } from '../support/ses-inbox.js';
import { ROUTES } from '../../lambdas/routes.js';

interface QueryResult {
  RequestId: string;
  Email: string;
  VerificationStatus: number;
  GmtCreate: string;
  GmtModified: string;
  TokenSendTime: string;
  SendIp: string;
  ConfirmIp: string;
}

const QUOTA_MESSAGE = 'The maximum number of attempts allowed to send the email verification link is exceeded.';
const ALIYUN_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const key: AccessKey = freshAccessKey('popcore');
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    RPC_ACCESS_KEY_ID: key.accessKeyId,
    RPC_ACCESS_KEY_SECRET: key.accessKeySecret,
    RESEND_COOLDOWN_SECONDS: '0',
    RESEND_MAX_PER_WINDOW: '3',
  });
});
afterAll(async () => api.stop());

type Method = 'GET' | 'POST';

function call<T>(method: Method, action: string, params: Record<string, string>, client = popCoreClient(api.baseUrl, key)) {
  return client.request<T>(action, params, method === 'POST' ? { method: 'POST' } : {});
}

const ok = (Email: string): SendResult => ({ Email, Code: 'Success', Message: 'Success' });

async function onlyMailTo(address: string): Promise<InboxMail> {
  const mails = await mailsTo(address);
  expect(mails).toHaveLength(1);
  return mails[0]!;
}

describe.each<Method>(['GET', 'POST'])('pop-core %s', (method) => {
  test('Submit mails new addresses; again is ExistList; SendIfExist=true resends under the quota', async () => {
    const [a, b] = freshAddresses(2, `submit-${method}`) as [string, string];

    const first = await call<SendLists>(method, 'SubmitEmailVerification', { Email: `${a}, ${b}` });
    expect(first).toEqual({ RequestId: expect.any(String), SuccessList: [ok(a), ok(b)], FailList: [], ExistList: [] });
    const mail = await onlyMailTo(a);
    expect(mail.subject).toBe('Your Example App verification code');
    expect(extractLink(mail).startsWith(`${api.baseUrl}${ROUTES.showVerificationPage.path}?token=`)).toBe(true);
    expect(await mailsTo(b)).toHaveLength(1);

    const again = await call<SendLists>(method, 'SubmitEmailVerification', { Email: `${a},${b}` });
    const exists = (Email: string) => ({
      Email,
      Code: 'EmailVerificationExists',
      Message: 'A verification email was already sent to this address.',
    });
    expect(again).toEqual({ RequestId: expect.any(String), SuccessList: [], FailList: [], ExistList: [exists(a), exists(b)] });
    expect(await mailsTo(a)).toHaveLength(1);

    const resent = await call<SendLists>(method, 'SubmitEmailVerification', { Email: `${a},${b}`, SendIfExist: 'true' });
    expect(resent.SuccessList).toEqual([ok(a), ok(b)]);
    expect(resent.ExistList).toEqual([]);
    expect(await mailsTo(a)).toHaveLength(2);

    // Third mail of the window, then the quota (3 per window) refuses.
    const third = await call<SendLists>(method, 'ResendEmailVerification', { Email: a });
    expect(third).toEqual({ RequestId: expect.any(String), SuccessList: [ok(a)], FailList: [] });
    const refused = await call<SendLists>(method, 'SubmitEmailVerification', { Email: a, SendIfExist: 'true' });
    expect(refused.FailList).toEqual([
      { Email: a, Code: 'SendTokenQuotaExceeded', Message: QUOTA_MESSAGE, RetryAfter: expect.any(Number) },
    ]);
    // The window's 3 sends all happened just now: the next is allowed when the oldest leaves it.
    expect(refused.FailList[0]!.RetryAfter).toBeGreaterThan(3500);
    expect(refused.FailList[0]!.RetryAfter).toBeLessThanOrEqual(3600);
    expect(refused.SuccessList).toEqual([]);
    expect(await mailsTo(a)).toHaveLength(3);
  });

  test('Resend answers PascalCase SuccessList / FailList with per-address codes', async () => {
    const pending = freshAddress(`resend-${method}`);
    const never = freshAddress(`never-${method}`);
    await call(method, 'SubmitEmailVerification', { Email: pending });

    const answer = await call<SendLists>(method, 'ResendEmailVerification', {
      Email: `${pending},not-an-address,${never}`,
      Lang: 'en',
    });
    expect(Object.keys(answer).sort()).toEqual(['FailList', 'RequestId', 'SuccessList']);
    expect(answer.SuccessList).toEqual([ok(pending)]);
    expect(answer.FailList).toEqual([
      { Email: 'not-an-address', Code: 'ParameterIllegall', Message: 'Parameter error' },
      { Email: never, Code: 'EmailNotSubmitted', Message: 'The email address has not been submitted for verification.' },
    ]);
    for (const entry of [...answer.SuccessList, ...answer.FailList]) expect(Object.keys(entry).sort()).toEqual(['Code', 'Email', 'Message']);
    expect(await mailsTo(pending)).toHaveLength(2);
    expect(await mailsTo(never)).toHaveLength(0);
  });

  test('Lang=zh: Chinese messages, a Chinese mail and a Chinese page', async () => {
    const address = freshAddress(`zh-${method}`);
    const submitted = await call<SendLists>(method, 'SubmitEmailVerification', { Email: `${address},bad@@x`, Lang: 'zh' });
    expect(submitted.SuccessList).toEqual([{ Email: address, Code: 'Success', Message: '成功' }]);
    expect(submitted.FailList).toEqual([{ Email: 'bad@@x', Code: 'ParameterIllegall', Message: '参数错误' }]);

    const mail = await onlyMailTo(address);
    expect(mail.subject).toBe('您的 Example App 邮箱验证码');
    expect(mail.body.text).toContain('请在 Example App 中输入以下验证码');
    expect(mail.body.html).toContain('lang="zh-CN"');
    expect(mail.body.html).toContain('验证我的邮箱地址');
    const link = extractLink(mail);
    expect(new URL(link).searchParams.get('lang')).toBe('zh');
    const page = await openLink(link);
    expect(page.status).toBe(200);
    expect(page.html).toContain('验证您的邮箱地址');

    const exists = await call<SendLists>(method, 'SubmitEmailVerification', { Email: address, Lang: 'zh' });
    expect(exists.ExistList).toEqual([{ Email: address, Code: 'EmailVerificationExists', Message: '该邮箱的验证邮件已经发送。' }]);
    const never = freshAddress('zh-never');
    const resent = await call<SendLists>(method, 'ResendEmailVerification', { Email: `${address},${never}`, Lang: 'ZH' });
    expect(resent.SuccessList).toEqual([{ Email: address, Code: 'Success', Message: '成功' }]);
    expect(resent.FailList).toEqual([{ Email: never, Code: 'EmailNotSubmitted', Message: '该邮箱尚未提交验证。' }]);
    expect((await mailsTo(address)).map((m) => m.subject)).toEqual(['您的 Example App 邮箱验证码', '您的 Example App 邮箱验证码']);
  });
});

describe('the mailed link', () => {
  const query = (Email: string) => call<QueryResult>('GET', 'QueryEmailVerification', { Email });

  test('GET shows a confirm page without verifying; the form POST verifies; a second POST says already verified', async () => {
    const address = freshAddress('link');
    await call('POST', 'SubmitEmailVerification', { Email: address });
    const link = extractLink(await onlyMailTo(address));
    expect(link.startsWith(`${api.baseUrl}${ROUTES.showVerificationPage.path}?token=`)).toBe(true);

    // Opened twice, as a link scanner and then the person: nothing is verified yet.
    for (let i = 0; i < 2; i += 1) {
      const page = await openLink(link);
      expect(page.status).toBe(200);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(page.html).toContain('Verify your email address');
      expect(page.html).toMatch(/<form method="post"/);
      expect(page.html).not.toMatch(/<script/i);
    }
    expect((await query(address)).VerificationStatus).toBe(0);

    const confirm = await openLink(link);
    const verified = await submitPageForm(link, confirm.html);
    expect(verified.status).toBe(200);
    expect(verified.html).toContain('Email address verified');
    expect(verified.html).toContain(`<span class="email">${address}</span> is verified for Example App.`);
    const after = await query(address);
    expect(after.VerificationStatus).toBe(1);
    expect(after.ConfirmIp).toBe('127.0.0.1');

    const twice = await submitPageForm(link, confirm.html);
    expect(twice.html).toContain('Already verified');
    expect(twice.html).not.toContain('Email address verified');
    const reopened = await openLink(link);
    expect(reopened.html).toContain('Already verified');
    expect(reopened.html).not.toContain('<form');

    // Verified: resend and submit refuse it, and nothing more is mailed.
    const resend = await call<SendLists>('GET', 'ResendEmailVerification', { Email: address });
    expect(resend.FailList).toEqual([
      { Email: address, Code: 'EmailAlreadyVerified', Message: 'The email address has already been verified.' },
    ]);
    const submit = await call<SendLists>('GET', 'SubmitEmailVerification', { Email: address, SendIfExist: 'true' });
    expect(submit.FailList.map((entry) => entry.Code)).toEqual(['EmailAlreadyVerified']);
    expect(await mailsTo(address)).toHaveLength(1);
  });

  test("the page names the product and the address, and speaks the browser's language before the mail's", async () => {
    const address = freshAddress('page-lang');
    await call('POST', 'SubmitEmailVerification', { Email: address, Lang: 'en' });
    const link = extractLink(await onlyMailTo(address));
    expect(new URL(link).searchParams.get('lang')).toBe('en');

    const english = await openLink(link);
    expect(english.html).toContain('<html lang="en">');
    expect(english.html).toContain('<p class="product">Example App</p>');
    expect(english.html).toContain(`Confirm that <span class="email">${address}</span> is your email address for Example App.`);

    const chinese = await openLink(link, { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5' });
    expect(chinese.status).toBe(200);
    expect(chinese.html).toContain('<html lang="zh-CN">');
    expect(chinese.html).toContain(`请确认 <span class="email">${address}</span> 是您在 Example App 使用的邮箱地址。`);
    expect(chinese.html).toContain('<input type="hidden" name="lang" value="zh">');

    // A browser that speaks neither gets the mail's language; without one either, English.
    const zhLink = new URL(link);
    zhLink.searchParams.set('lang', 'zh');
    expect((await openLink(zhLink.href, { 'Accept-Language': 'fr-FR,fr;q=0.9' })).html).toContain('验证您的邮箱地址');
    zhLink.searchParams.delete('lang');
    expect((await openLink(zhLink.href, { 'Accept-Language': 'fr-FR' })).html).toContain('Verify your email address');
    expect((await query(address)).VerificationStatus).toBe(0);

    // A broken link names the product, and what to do.
    const broken = await openLink(`${api.baseUrl}${ROUTES.showVerificationPage.path}?token=nonsense`, { 'Accept-Language': 'zh' });
    expect(broken.status).toBe(400);
    expect(broken.html).toContain('链接可能不完整。请从邮件中重新打开，或让 Example App 重新发送验证邮件。');
  });

  test('after OTP_TTL_SECONDS the link says it has expired, VerifyEmail says InvalidToken.Expired, nothing is verified', async () => {
    // Its own API with a service clock that can be moved on (the link lives OTP_TTL_SECONDS, 600 s).
    let offsetMs = 0;
    const own = await startRpcTestApi({ overrides: { clock: () => Date.now() + offsetMs } });
    try {
      const address = freshAddress('expired-link');
      const client = popCoreClient(own.baseUrl, own.key);
      await client.request('SubmitEmailVerification', { Email: address }, { method: 'POST' });
      const link = extractLink(await onlyMailTo(address));
      expect(link.startsWith(`${own.baseUrl}${ROUTES.showVerificationPage.path}?token=`)).toBe(true);
      const confirm = await openLink(link);
      expect(confirm.status).toBe(200);

      offsetMs = 601_000;
      const page = await openLink(link);
      expect(page.status).toBe(410);
      expect(page.html).toContain('This link has expired');
      expect(page.html).toContain(
        `Verification links work for 10 minutes. Ask Example App to send a new verification email to <span class="email">${address}</span>.`,
      );
      expect(page.html).not.toContain('<form');
      const posted = await submitPageForm(link, confirm.html);
      expect(posted.status).toBe(410);
      expect((await rejection(client.request('VerifyEmail', { Token: linkToken(link) }))).code).toBe('InvalidToken.Expired');
      const status = await client.request<QueryResult>('QueryEmailVerification', { Email: address });
      expect(status.VerificationStatus).toBe(0);
    } finally {
      await own.stop();
    }
  });

  test('a tampered token gets the invalid-link page and verifies nothing', async () => {
    const address = freshAddress('tampered');
    await call('GET', 'SubmitEmailVerification', { Email: address });
    const link = extractLink(await onlyMailTo(address));
    const token = linkToken(link);
    const tampered = link.replace(token, `${token.slice(0, -4)}AAAA`);
    const page = await openLink(tampered);
    expect(page.status).toBe(400);
    expect(page.html).toContain('This link is not valid');
    expect((await query(address)).VerificationStatus).toBe(0);
  });

  test('VerifyEmail takes the token from the mail', async () => {
    const address = freshAddress('verify-email');
    await call('GET', 'SubmitEmailVerification', { Email: address });
    const token = linkToken(extractLink(await onlyMailTo(address)));

    const verified = await call<Record<string, unknown>>('POST', 'VerifyEmail', { Token: token });
    expect(verified).toEqual({ RequestId: expect.any(String) });
    expect((await query(address)).VerificationStatus).toBe(1);

    expect((await rejection(call('GET', 'VerifyEmail', { Token: token }))).code).toBe('EmailAlreadyVerified');
    expect((await rejection(call('GET', 'VerifyEmail', { Token: 'not.a.token' }))).code).toBe('InvalidToken');
    expect((await rejection(call('GET', 'VerifyEmail', {}))).code).toBe('MissingParameter');
    // The page agrees.
    expect((await openLink(`${api.baseUrl}${ROUTES.showVerificationPage.path}?token=${token}`)).html).toContain('Already verified');
  });
});

describe('QueryEmailVerification', () => {
  test('reports the record: status, times, IPs', async () => {
    const address = freshAddress('query');
    const ip = freshClientIp();
    const before = Date.now();
    await call('POST', 'SubmitEmailVerification', { Email: address, UserClientIp: ip });

    // The record key is the lower-cased address; a differently cased query finds it.
    const answer = await call<QueryResult>('GET', 'QueryEmailVerification', { Email: address.toUpperCase() });
    expect(answer).toEqual({
      RequestId: expect.any(String),
      Email: address,
      VerificationStatus: 0,
      GmtCreate: expect.stringMatching(ALIYUN_TIME),
      GmtModified: expect.stringMatching(ALIYUN_TIME),
      TokenSendTime: expect.stringMatching(ALIYUN_TIME),
      SendIp: ip,
      ConfirmIp: '',
    });
    const created = Date.parse(`${answer.GmtCreate.replace(' ', 'T')}Z`);
    expect(created).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(created).toBeLessThanOrEqual(Date.now());
    expect(answer.TokenSendTime >= answer.GmtCreate).toBe(true);

    expect((await rejection(call('GET', 'QueryEmailVerification', { Email: freshAddress('query-none') }))).code).toBe(
      'EmailNotSubmitted',
    );
    expect((await rejection(call('GET', 'QueryEmailVerification', { Email: 'nope' }))).code).toBe('InvalidParameter');
    expect((await rejection(call('GET', 'QueryEmailVerification', {}))).code).toBe('MissingEmail');
  });
});

describe('request-level errors through pop-core', () => {
  interface ErrorCase {
    readonly name: string;
    readonly code: string;
    readonly status: number;
    readonly run: (method: Method, address: string) => Promise<unknown>;
  }
  const minutesAgo = (minutes: number) => rpcTimestamp(new Date(Date.now() - minutes * 60_000));
  const cases: ErrorCase[] = [
    {
      name: 'a wrong secret',
      code: 'SignatureDoesNotMatch',
      status: 400,
      run: (method, Email) =>
        call(method, 'SubmitEmailVerification', { Email }, popCoreClient(api.baseUrl, { ...key, accessKeySecret: 'wrong-secret' })),
    },
    {
      name: 'an unknown access key',
      code: 'InvalidAccessKeyId.NotFound',
      status: 404,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email }, popCoreClient(api.baseUrl, freshAccessKey('nobody'))),
    },
    {
      name: 'an unknown action',
      code: 'InvalidAction.NotFound',
      status: 404,
      run: (method, Email) => call(method, 'SendEverybodyEverything', { Email }),
    },
    {
      name: 'another API version',
      code: 'InvalidVersion',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email }, popCoreClient(api.baseUrl, key, '2017-01-01')),
    },
    { name: 'a blank Email', code: 'MissingEmail', status: 400, run: (method) => call(method, 'SubmitEmailVerification', { Email: '  ' }) },
    { name: 'an Email of commas only', code: 'MissingEmail', status: 400, run: (method) => call(method, 'ResendEmailVerification', { Email: ' , ,' }) },
    { name: 'no Email', code: 'MissingEmail', status: 400, run: (method) => call(method, 'ResendEmailVerification', { Lang: 'en' }) },
    { name: 'VerifyEmail without Token', code: 'MissingParameter', status: 400, run: (method) => call(method, 'VerifyEmail', {}) },
    {
      name: 'an unknown Lang',
      code: 'InvalidParameter',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, Lang: 'fr' }),
    },
    {
      name: 'a UserClientIp that is no IP',
      code: 'InvalidParameter',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, UserClientIp: '300.1.2.3' }),
    },
    {
      name: 'a SendIfExist that is no boolean',
      code: 'InvalidParameter',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, SendIfExist: 'yes' }),
    },
    {
      name: 'a timestamp 16 minutes old',
      code: 'InvalidTimeStamp.Expired',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, Timestamp: minutesAgo(16) }),
    },
    {
      name: 'a timestamp 16 minutes ahead',
      code: 'InvalidTimeStamp.Expired',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, Timestamp: minutesAgo(-16) }),
    },
    {
      name: 'a timestamp in another format',
      code: 'InvalidTimeStamp.Format',
      status: 400,
      run: (method, Email) =>
        call(method, 'SubmitEmailVerification', { Email, Timestamp: new Date().toISOString().replace('T', ' ') }),
    },
    {
      name: 'another signature method',
      code: 'IncompleteSignature',
      status: 400,
      run: (method, Email) => call(method, 'SubmitEmailVerification', { Email, SignatureMethod: 'HMAC-SHA256' }),
    },
  ];

  describe.each<Method>(['GET', 'POST'])('%s', (method) => {
    test.each(cases.map((c) => [c.name, c] as const))('%s: the client throws its code and nothing is mailed', async (_, errorCase) => {
      const address = freshAddress('refused');
      const error = (await rejection(errorCase.run(method, address))) as ClientError & {
        entry?: { response?: { statusCode?: number } };
      };
      expect(error.code).toBe(errorCase.code);
      expect(error.entry?.response?.statusCode).toBe(errorCase.status);
      expect(Object.keys(error.data ?? {}).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
      expect(error.data?.RequestId).toEqual(expect.any(String));
      expect(await mailsTo(address)).toHaveLength(0);
    });

    test(`more than RPC_MAX_EMAILS (50) addresses is InvalidParameter and mails nobody`, async () => {
      const addresses = freshAddresses(51, `oversized-${method}`);
      const error = await rejection(call(method, 'SubmitEmailVerification', { Email: addresses.join(',') }));
      expect(error.code).toBe('InvalidParameter');
      expect(error.message).toContain('50');
      for (const address of [addresses[0]!, addresses[25]!, addresses[50]!]) expect(await mailsTo(address)).toHaveLength(0);
      const query = await rejection(call(method, 'QueryEmailVerification', { Email: addresses[0]! }));
      expect(query.code).toBe('EmailNotSubmitted');
    });

    test('a nonce is single-use: pop-core sending one twice gets SignatureNonceUsed, and the second sends nothing', async () => {
      const address = freshAddress(`nonce-${method}`);
      const SignatureNonce = randomUUID();
      const first = await call<SendLists>(method, 'SubmitEmailVerification', { Email: address, SignatureNonce });
      expect(first.SuccessList).toEqual([ok(address)]);
      // A resend would be allowed by the quota (no cooldown), so only the nonce stops it.
      const error = await rejection(call(method, 'ResendEmailVerification', { Email: address, SignatureNonce }));
      expect(error.code).toBe('SignatureNonceUsed');
      expect(await mailsTo(address)).toHaveLength(1);
      const fresh = await call<SendLists>(method, 'ResendEmailVerification', { Email: address });
      expect(fresh.SuccessList).toEqual([ok(address)]);
    });
  });

  test('replaying the exact same signed GET URL is SignatureNonceUsed; one mail', async () => {
    const address = freshAddress('replay-get');
    const url = signedGetUrl(api.baseUrl, { Action: 'SubmitEmailVerification', Email: address, Format: 'JSON' }, { key });
    const first = await fetchRaw(url);
    expect(first.status).toBe(200);
    expect((JSON.parse(first.text) as SendLists).SuccessList).toEqual([ok(address)]);
    const replay = await fetchRaw(url);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text)).toMatchObject({ Code: 'SignatureNonceUsed' });
    expect(await mailsTo(address)).toHaveLength(1);
  });

  test('replaying the exact same signed POST body is SignatureNonceUsed; one mail', async () => {
    const address = freshAddress('replay-post');
    const body = encodeRpcParams(
      signRpcParams({ Action: 'ResendEmailVerification', Email: address, Format: 'JSON' }, { key, method: 'POST' }),
    );
    await call('GET', 'SubmitEmailVerification', { Email: address });
    const post = () =>
      fetchRaw(`${api.baseUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    const first = await post();
    expect(first.status).toBe(200);
    expect((JSON.parse(first.text) as SendLists).SuccessList).toEqual([ok(address)]);
    const replay = await post();
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text)).toMatchObject({ Code: 'SignatureNonceUsed' });
    expect(await mailsTo(address)).toHaveLength(2);
  });

  test('a request signed for GET but sent as POST does not verify', async () => {
    const address = freshAddress('method-swap');
    const signed = signRpcParams({ Action: 'SubmitEmailVerification', Email: address, Format: 'JSON' }, { key, method: 'GET' });
    const answer = await fetchRaw(`${api.baseUrl}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encodeRpcParams(signed),
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    expect(await mailsTo(address)).toHaveLength(0);
  });
});
