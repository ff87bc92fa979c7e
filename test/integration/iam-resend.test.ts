/**
 * The IAM loop over HTTP: the local API Gateway bridge in front of the real handler, DynamoDB
 * Local and the local SES; codes are read from the mails SES stored. Default quota (cooldown 60 s,
 * 5 per hour); "time passes" by moving a record's stored send times back.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import { recordKey } from '../../src/adapters/dynamodb-verification-store.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { createServiceDependencies, type ServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress } from '../support/fresh-address.js';
import { startTestApi, type TestApi } from '../support/local-api.js';
import { captureServiceOutput, type ServiceOutput } from '../support/service-output.js';
import { callIam } from '../support/openapi-iam.js';
import { extractCode, mailsTo, waitForMailTo } from '../support/ses-inbox.js';
import { controlToken, hostileTokens, type TokenContext } from '../unit/domain/hostile-tokens.js';
import { ROUTES } from '../../lambdas/routes.js';

const RESEND = ROUTES.resendCode.path;
const VERIFY = ROUTES.verifyCode.path;
const COOLDOWN = 60;

let api: TestApi;
let deps: ServiceDependencies;
let dynamodb: DynamoDBClient;
let output: ServiceOutput;

beforeAll(async () => {
  api = await startTestApi({
    RESEND_COOLDOWN_SECONDS: String(COOLDOWN),
    RESEND_MAX_PER_WINDOW: '5',
    RESEND_WINDOW_SECONDS: '3600',
    OTP_TTL_SECONDS: '600',
    OTP_MAX_GUESSES: '5',
    TOKEN_TTL_SECONDS: '3600',
    // Every request's line and its metrics, so the test below can read them all.
    LOG_LEVEL: 'info',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  // The same configuration and secrets the handlers loaded.
  deps = createServiceDependencies(loadConfig(process.env), await loadServiceSecrets(process.env));
  dynamodb = new DynamoDBClient({
    endpoint: process.env.DYNAMODB_ENDPOINT,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The handlers log one JSON line per request: kept (and checked below) rather than printed.
  output = captureServiceOutput();
});


/** Tokens for `email` signed as the running handlers sign them. */
function tokenContext(email: string): TokenContext {
  return {
    keyring: deps.secrets.tokenKeyring,
    issuer: deps.config.tokenIssuer,
    audience: deps.config.tokenAudience,
    now: Date.now(),
    address: email,
    key: email,
  };
}

afterAll(async () => {
  output?.restore();
  dynamodb?.destroy();
  await api?.stop();
});

const resend = (token: string | undefined, headers: Record<string, string> = {}) =>
  callIam<{ emailVerificationToken: string; group: string; code: number; message: string }>(api.baseUrl, RESEND, {
    ...(token !== undefined ? { token } : {}),
    headers,
  });
const verify = (token: string, code: unknown) =>
  callIam<{ email: string; emailVerified: boolean; group: string; code: number; validationDetail?: unknown[] }>(api.baseUrl, VERIFY, {
    token,
    body: { code },
  });

/** Starts a verification as the sign-up flow would; returns the token and the mailed code. */
async function start(label: string) {
  const email = freshAddress(label);
  const token = await startEmailVerification(email, { dependencies: deps });
  const mail = await waitForMailTo(email);
  return { email, token, code: extractCode(mail) };
}

/** Moves every send of a record `seconds` into the past: the cooldown/window as if time passed. */
async function age(email: string, seconds: number): Promise<void> {
  const record = (await deps.store.find(email))!;
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: process.env.TABLE_NAME!,
      Key: recordKey(email),
      UpdateExpression: 'SET sendLog = :log',
      ExpressionAttributeValues: { ':log': { L: record.sendLog.map((t) => ({ N: String(t === 0 ? 0 : t - seconds * 1000) })) } },
    }),
  );
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe(`POST ${ROUTES.resendCode.path}`, () => {
  test('start mails a code; resend answers 201 with a new token and mails a new code; an immediate retry is 429 with Retry-After', async () => {
    const { email, token, code } = await start('resend');
    expect(code).toMatch(/^\d{6}$/);
    await age(email, COOLDOWN);

    const first = await resend(token);
    expect(first.status).toBe(201);
    const next = first.body.emailVerificationToken;
    expect(next).not.toBe(token);
    expect(decodeJwt(next)).toMatchObject({ sub: email, email });
    expect(first.headers.get('cache-control')).toBe('no-store');
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(2);
    const newCode = extractCode(mails[1]!);
    expect(newCode).not.toBe(code);
    expect(mails[1]!.subject).toBe('Your Example App verification code');

    const sentAt = (await deps.store.find(email))!.sendLog.at(-1)!;
    const before = Date.now();
    const second = await resend(next);
    const after = Date.now();
    expect(second.status).toBe(429);
    expect(second.body).toEqual({ group: 'user', code: 400, message: 'Too many email verification code resend attempts.' });
    const retryAfter = second.headers.get('retry-after')!;
    expect(retryAfter).toMatch(/^\d+$/);
    // The handler's clock read lies between `before` and `after`: Retry-After is the rest of the cooldown, rounded up.
    expect(Number(retryAfter)).toBeLessThanOrEqual(Math.ceil((sentAt + COOLDOWN * 1000 - before) / 1000));
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(Math.ceil((sentAt + COOLDOWN * 1000 - after) / 1000));
    expect(Number(retryAfter)).toBeLessThanOrEqual(COOLDOWN);
    expect(await mailsTo(email)).toHaveLength(2);
  });

  test('a client whose 201 was lost retries with its old token after the cooldown', async () => {
    const { email, token } = await start('lost-201');
    await age(email, COOLDOWN);
    expect((await resend(token)).status).toBe(201); // the answer "lost"
    const early = await resend(token);
    expect(early.status).toBe(429);
    await age(email, COOLDOWN);
    const retried = await resend(token);
    expect(retried.status).toBe(201);
    expect(await mailsTo(email)).toHaveLength(3);
  });

  test('the resent mail says the earlier code still works only when it does: not after a wrong guess', async () => {
    const EARLIER = 'The code from our previous email also still works until it expires.';
    const kept = await start('earlier-kept');
    expect((await mailsTo(kept.email))[0]!.body.text).not.toContain(EARLIER);
    await age(kept.email, COOLDOWN);
    expect((await resend(kept.token)).status).toBe(201);
    const keptMail = (await mailsTo(kept.email))[1]!;
    expect(keptMail.body.text).toContain(EARLIER);
    expect(keptMail.body.html).toContain(EARLIER);
    expect((await verify(kept.token, kept.code)).status).toBe(200);

    const guessed = await start('earlier-retired');
    expect((await verify(guessed.token, otherCode(guessed.code))).status).toBe(400);
    await age(guessed.email, COOLDOWN);
    expect((await resend(guessed.token)).status).toBe(201);
    const retiredMail = (await mailsTo(guessed.email))[1]!;
    expect(retiredMail.body.text).not.toContain('previous email');
    expect(retiredMail.body.html).not.toContain('previous email');
    // And indeed it no longer works: only the new code does.
    expect((await verify(guessed.token, guessed.code)).body.code).toBe(408);
    expect((await verify(guessed.token, extractCode(retiredMail))).status).toBe(200);
  });

  test('Accept-Language zh gives a Chinese mail', async () => {
    const { email, token } = await start('zh');
    await age(email, COOLDOWN);
    expect((await resend(token, { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' })).status).toBe(201);
    const mail = await waitForMailTo(email, { after: 1 });
    expect(mail.subject).toBe('您的 Example App 邮箱验证码');
    expect(mail.body.text).toContain('请在 Example App 中输入以下验证码');
    expect(mail.body.html).toContain('lang="zh-CN"');
    expect(extractCode(mail)).toMatch(/^\d{6}$/);
  });

  test('the JWT attack set: each 401 (406, or 407 for an authentic expired token), and no mail', async () => {
    const { email } = await start('attacks');
    await age(email, COOLDOWN);
    const context = tokenContext(email);
    const attacks = await hostileTokens(context);
    const outcomes: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const attack of attacks) {
      const response = await resend(attack.token);
      outcomes[attack.name] = [response.status, response.body.code, response.body.group];
      expected[attack.name] = [401, attack.expect === 'expired' ? 407 : 406, 'user'];
    }
    expect(outcomes).toEqual(expected);
    expect(await mailsTo(email)).toHaveLength(1);
    // Control: the address was resendable all along, with a good token built the same way.
    expect((await resend(controlToken(context))).status).toBe(201);
    expect(await mailsTo(email)).toHaveLength(2);
  });

  test('a missing header, another scheme or a malformed bearer value is 401 406, and no mail', async () => {
    const { email, token } = await start('header');
    await age(email, COOLDOWN);
    const cases: Record<string, string>[] = [
      {},
      { Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      { Authorization: `Token ${token}` },
      { Authorization: token },
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer ' },
      { Authorization: `Bearer ${token} ${token}` },
      { Authorization: `Bearer ${token}, Bearer ${token}` },
      { Authorization: `Bearer "${token}"` },
    ];
    for (const headers of cases) {
      const response = await resend(undefined, headers);
      expect([response.status, response.body]).toEqual([401, { group: 'user', code: 406, message: 'Invalid email verification token.' }]);
    }
    expect(await mailsTo(email)).toHaveLength(1);
    expect((await resend(undefined, { Authorization: `bearer ${token}` })).status).toBe(201);
  });

  test('a token for an address never started is 401 406', async () => {
    const email = freshAddress('never');
    const token = controlToken(tokenContext(email));
    const response = await resend(token);
    expect([response.status, response.body.code]).toEqual([401, 406]);
    expect(await mailsTo(email)).toHaveLength(0);
  });
});

describe(`POST ${ROUTES.verifyCode.path}`, () => {
  test('the new code verifies (200); afterwards every token of the address is 401 406 for resend and verify', async () => {
    const { email, token } = await start('verify-new');
    await age(email, COOLDOWN);
    const next = (await resend(token)).body.emailVerificationToken;
    const newCode = extractCode((await mailsTo(email))[1]!);

    const verified = await verify(next, newCode);
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ email, emailVerified: true });
    expect((await deps.store.find(email))!.status).toBe('verified');

    await age(email, COOLDOWN);
    for (const anyToken of [token, next]) {
      const refused = await resend(anyToken);
      expect([refused.status, refused.body.code]).toEqual([401, 406]);
      const again = await verify(anyToken, newCode);
      expect([again.status, again.body.code]).toEqual([401, 406]);
    }
    expect(await mailsTo(email)).toHaveLength(2);
  });

  test('the code mailed before the resend verifies too', async () => {
    const { email, token, code } = await start('verify-previous');
    await age(email, COOLDOWN);
    const next = (await resend(token)).body.emailVerificationToken;
    expect(extractCode((await mailsTo(email))[1]!)).not.toBe(code);
    const verified = await verify(next, code);
    expect([verified.status, verified.body]).toEqual([200, { email, emailVerified: true }]);
  });

  test('the start token verifies with the start code', async () => {
    const { email, token, code } = await start('verify-start');
    expect((await verify(token, code)).body).toEqual({ email, emailVerified: true });
  });

  test('five wrong codes (400 408), then the right one is 429 410', async () => {
    const { token, code } = await start('verify-wrong');
    for (let i = 0; i < 5; i += 1) {
      const wrong = await verify(token, otherCode(code));
      expect([wrong.status, wrong.body]).toEqual([400, { group: 'user', code: 408, message: 'Invalid email verification code.' }]);
    }
    const right = await verify(token, code);
    expect([right.status, right.body]).toEqual([429, { group: 'user', code: 410, message: 'Too many wrong email verification codes.' }]);
    expect(right.headers.get('retry-after')).toBeNull();
  });

  test('an expired code is 400 409', async () => {
    const { email, token, code } = await start('verify-expired');
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: process.env.TABLE_NAME!,
        Key: recordKey(email),
        UpdateExpression: 'SET otpExpiresAt = :past',
        ExpressionAttributeValues: { ':past': { N: String(Date.now() - 1) } },
      }),
    );
    const response = await verify(token, code);
    expect([response.status, response.body]).toEqual([400, { group: 'user', code: 409, message: 'Expired email verification code.' }]);
  });

  test('a malformed body is 400 group request with validationDetail, and costs no guess', async () => {
    const { email, token, code } = await start('verify-bad-body');
    const bodies: unknown[] = [undefined, '', 'not json', {}, { code: '' }, { code: '12345' }, { code: '1234567' }, { code: 12345 }, { code: 1234567 }, { code: 123456.5 }, { code: true }, { code: 'abcdef' }];
    for (const body of bodies) {
      const response = await callIam<{ group: string; code: number; validationDetail: { field: string }[] }>(api.baseUrl, VERIFY, {
        token,
        ...(body !== undefined ? { body } : {}),
      });
      expect([response.status, response.body.group, response.body.code]).toEqual([400, 'request', 0]);
      expect(response.body.validationDetail).toEqual([expect.objectContaining({ field: 'code' })]);
    }
    expect((await deps.store.find(email))!.guesses).toBe(0);
    expect((await verify(token, code)).status).toBe(200);
  });

  test('a numeric code of six digits is the same code; a shorter number is refused with how to send it', async () => {
    // A sender whose next code is known: 654321, and then 012345 for the second address.
    const codes = [654_321, 12_345];
    const fixed = createServiceDependencies(deps.config, deps.secrets, { random: () => codes.shift()! });
    const email = freshAddress('verify-number');
    const token = await startEmailVerification(email, { dependencies: fixed });
    expect(extractCode(await waitForMailTo(email))).toBe('654321');
    const wrong = await verify(token, 654_320);
    expect([wrong.status, wrong.body.code]).toEqual([400, 408]);
    const verified = await verify(token, 654_321);
    expect([verified.status, verified.body]).toEqual([200, { email, emailVerified: true }]);

    const leadingZero = freshAddress('verify-number-zero');
    const zeroToken = await startEmailVerification(leadingZero, { dependencies: fixed });
    expect(extractCode(await waitForMailTo(leadingZero))).toBe('012345');
    const short = await callIam<{ group: string; code: number; validationDetail: Array<Record<string, unknown>> }>(api.baseUrl, VERIFY, {
      token: zeroToken,
      body: { code: 12345 },
    });
    expect([short.status, short.body.group, short.body.code]).toEqual([400, 'request', 0]);
    expect(short.body.validationDetail).toEqual([
      {
        field: 'code',
        expression: 'type',
        originalValue: 12345,
        reason: 'The code is 6 digits and this number has fewer: send the code as a string, such as "012345", so leading zeros are kept.',
      },
    ]);
    expect((await deps.store.find(leadingZero))!.guesses).toBe(0);
    expect((await verify(zeroToken, '012345')).status).toBe(200);
  });

  test('the JWT attack set on verify: 401 each, no guess counted', async () => {
    const { email, code } = await start('verify-attacks');
    const attacks = await hostileTokens(tokenContext(email));
    for (const attack of attacks) {
      const response = await verify(attack.token, code);
      expect([attack.name, response.status, response.body.code]).toEqual([attack.name, 401, attack.expect === 'expired' ? 407 : 406]);
    }
    expect((await deps.store.find(email))!).toMatchObject({ status: 'pending', guesses: 0 });
  });
});

test('request logs carry a request id and a masked address, never a token or a code; nor do the metrics', () => {
  const entries = output.logs();
  expect(entries.length).toBeGreaterThan(50);
  expect(output.emf().length).toBeGreaterThan(50);
  for (const entry of entries) expect(entry.requestId).toEqual(expect.any(String));
  const withEmail = entries.filter((entry) => typeof entry.email === 'string');
  expect(withEmail.length).toBeGreaterThan(0);
  for (const entry of withEmail) expect(entry.email).toMatch(/^[^@]\*\*\*@example\.com$/);
  const all = output.lines.join('\n');
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
  expect(all).not.toMatch(/"code":"\d{6}"/);
  expect(all).not.toMatch(/[A-Za-z0-9._%+-]@example\.com/); // only masked addresses
});
