/**
 * The quota under concurrency, over HTTP: with RESEND_COOLDOWN_SECONDS=0 the window maximum is
 * the only limit, and 50 simultaneous resends for one address send exactly what it leaves.
 */
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { createServiceDependencies, type ServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress } from '../support/fresh-address.js';
import { startTestApi, type TestApi } from '../support/local-api.js';
import { callIam } from '../support/openapi-iam.js';
import { extractCode, mailsTo, waitForMailTo } from '../support/ses-inbox.js';
import { captureServiceOutput, type ServiceOutput } from '../support/service-output.js';
import { ROUTES } from '../../lambdas/routes.js';

const RESEND = ROUTES.resendCode.path;
const VERIFY = ROUTES.verifyCode.path;
const MAX = 5;

let api: TestApi;
let deps: ServiceDependencies;
let output: ServiceOutput;

beforeAll(async () => {
  api = await startTestApi({ RESEND_COOLDOWN_SECONDS: '0', RESEND_MAX_PER_WINDOW: String(MAX), RESEND_WINDOW_SECONDS: '3600' });
  deps = createServiceDependencies(loadConfig(process.env), await loadServiceSecrets(process.env));
  output = captureServiceOutput(); // one request log line per call: not wanted in the test output
});

afterAll(async () => {
  output.restore();
  await api?.stop();
});

type Body = { emailVerificationToken?: string; group?: string; code?: number };

test(`50 concurrent resends on one address: exactly ${MAX - 1} are 201 after the start mail, the rest 429, and that many mails`, async () => {
  const email = freshAddress('burst');
  const token = await startEmailVerification(email, { dependencies: deps });
  await waitForMailTo(email);

  const responses = await Promise.all(Array.from({ length: 50 }, () => callIam<Body>(api.baseUrl, RESEND, { token })));
  const statuses = responses.map((response) => response.status);
  expect(statuses.filter((status) => status === 201)).toHaveLength(MAX - 1);
  expect(statuses.filter((status) => status === 429)).toHaveLength(50 - (MAX - 1));
  for (const refused of responses.filter((response) => response.status === 429)) {
    expect(refused.body).toEqual({ group: 'user', code: 400, message: 'Too many email verification code resend attempts.' });
    // Refused either by the full window (about an hour) or, while it still had room, by a
    // concurrent send stamped a moment after this request's clock read (cooldown 0: 1 s).
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  }
  // Now the window is full: refused for about an hour.
  const after = await callIam<Body>(api.baseUrl, RESEND, { token });
  expect(after.status).toBe(429);
  expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(3500);
  const mails = await mailsTo(email);
  expect(mails).toHaveLength(MAX);
  expect((await deps.store.find(email))!.sendLog.filter((time) => time > 0)).toHaveLength(MAX);

  // The code of the last recorded send is live and verifies. Concurrent sends may reach the inbox
  // in another order than their writes landed, so it is picked by its hash, not by arrival.
  const tokens = responses.flatMap((response) => (response.body.emailVerificationToken ? [response.body.emailVerificationToken] : []));
  expect(new Set(tokens).size).toBe(MAX - 1);
  const record = (await deps.store.find(email))!;
  const codes = mails.map(extractCode);
  const live = codes.filter((code) => deps.verify.otps.match(code, record.key, [record.currentOtp!]) !== undefined);
  expect(live).toHaveLength(1);
  const verified = await callIam(api.baseUrl, VERIFY, { token: tokens[0]!, body: { code: live[0]! } });
  expect(verified.status).toBe(200);
});

test('with cooldown 0 an old token keeps working for resends until the window is full', async () => {
  const email = freshAddress('burst-lost-201');
  const token = await startEmailVerification(email, { dependencies: deps });
  for (let i = 0; i < MAX - 1; i += 1) expect((await callIam<Body>(api.baseUrl, RESEND, { token })).status).toBe(201);
  const refused = await callIam<Body>(api.baseUrl, RESEND, { token });
  expect([refused.status, refused.body.code]).toEqual([429, 400]);
  expect(await mailsTo(email)).toHaveLength(MAX);
});
