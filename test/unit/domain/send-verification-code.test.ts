import { normalizeEmailAddress } from '../../../src/domain/address.js';
import {
  AlreadyVerifiedError,
  QuotaExceededError,
  StageFailedError,
  VerificationNotFoundError,
  VerificationPendingError,
} from '../../../src/domain/errors.js';
import { MailComposer } from '../../../src/domain/mail-composition.js';
import { OtpIssuer } from '../../../src/domain/otp.js';
import { resendVerificationCode, startVerification, type SendDependencies } from '../../../src/domain/send-verification-code.js';
import { CorruptRecordError } from '../../../src/domain/verification-record.js';
import { InMemoryVerificationStore, ManualClock, RecordingMailer } from './fakes.js';

const T = 1_800_000_000_000;
const KEY = new TextEncoder().encode('unit-test-otp-hash-key-0123456789abcdef');
const QUOTA = { cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 3600 };
const address = normalizeEmailAddress('Jane@Example.com');

function setup(options: { random?: (max: number) => number } = {}) {
  const store = new InMemoryVerificationStore();
  const mailer = new RecordingMailer();
  const clock = new ManualClock(T);
  const revertFailures: unknown[] = [];
  let next = 100_000;
  const otps = new OtpIssuer(KEY, 600, options.random ?? (() => (next += 1)));
  const deps: SendDependencies = {
    store,
    mailer,
    mail: new MailComposer({ productName: 'Acme', otpTtlSeconds: 600 }),
    otps,
    clock: clock.read,
    settings: { quota: QUOTA, pendingRetentionSeconds: 3600 },
    onRevertFailure: (error) => revertFailures.push(error),
  };
  return { store, mailer, clock, deps, otps, revertFailures };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('startVerification', () => {
  test('creates a pending record and mails its first code, counted in the quota', async () => {
    const { store, mailer, deps, otps } = setup();
    await expect(startVerification(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: true });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.to).toBe('Jane@example.com');
    const code = mailer.lastCodeTo('Jane@example.com');
    const record = store.records.get('jane@example.com')!;
    expect(record).toMatchObject({ status: 'pending', lang: 'en', guesses: 0, sendLog: [0, 0, 0, 0, T], expiresAt: T + 3_600_000 });
    expect(record.currentOtp!.expiresAt).toBe(T + 600_000);
    expect(JSON.stringify(record)).not.toContain(code);
    expect(otps.match(code, address.key, [record.currentOtp!])).toBeDefined();
  });

  test('for a pending address it resends under the same quota (cooldown applies to the first mail too)', async () => {
    const { mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    const refused = await rejection(startVerification(deps, { address, lang: 'en' }));
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect((refused as QuotaExceededError).retryAfterSeconds).toBe(60);
    clock.advance(60_000);
    await expect(startVerification(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: false });
    expect(mailer.sent).toHaveLength(2);
  });

  test("with 'refuse' it refuses a pending or verified address", async () => {
    const { store, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    await expect(startVerification(deps, { address, lang: 'en' }, 'refuse')).rejects.toBeInstanceOf(VerificationPendingError);
    store.records.set(address.key, { ...store.records.get(address.key)!, status: 'verified' });
    await expect(startVerification(deps, { address, lang: 'en' }, 'refuse')).rejects.toBeInstanceOf(AlreadyVerifiedError);
    await expect(startVerification(deps, { address, lang: 'en' })).rejects.toBeInstanceOf(AlreadyVerifiedError);
  });

  test('an expired record still present (TTL runs late) counts as absent', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(3_600_000);
    await expect(startVerification(deps, { address, lang: 'en' }, 'refuse')).resolves.toEqual({ address, started: true });
    expect(store.records.get(address.key)!.createdAt).toBe(T + 3_600_000);
    expect(mailer.sent).toHaveLength(2);
  });

  test('a failed first mail removes the record again, so the start can be retried at once', async () => {
    const { store, mailer, deps } = setup();
    mailer.failure = new Error('SES down');
    const error = await rejection(startVerification(deps, { address, lang: 'en' }));
    expect(error).toBeInstanceOf(StageFailedError);
    expect((error as StageFailedError).stage).toBe('send-mail');
    expect(store.callsOf('revertSend')).toHaveLength(1);
    expect(store.records.has(address.key)).toBe(false);
    mailer.failure = undefined;
    await expect(startVerification(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: true });
  });
});

describe('resendVerificationCode', () => {
  test('mails a new code after the cooldown; the record keeps the previous code', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    const first = store.records.get(address.key)!.currentOtp!;
    clock.advance(60_000);
    await expect(resendVerificationCode(deps, { address, lang: 'zh', clientIp: '198.51.100.7' })).resolves.toEqual({
      address,
      started: false,
    });
    expect(mailer.sent).toHaveLength(2);
    expect(mailer.sent[1]!.subject).toBe('您的 Acme 邮箱验证码');
    expect(mailer.lastCodeTo(address.address)).not.toBe(mailer.sent[0]!.text.match(/\d{6}/)![0]);
    const record = store.records.get(address.key)!;
    expect(record.previousOtp).toEqual(first);
    expect(record.currentOtp!.hash).not.toBe(first.hash);
    expect(record).toMatchObject({ lang: 'zh', lastSendIp: '198.51.100.7', sendLog: [0, 0, 0, T, T + 60_000] });
  });

  test('within the cooldown: QuotaExceededError with whole seconds rounded up, no mail, no write', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    const before = structuredClone(store.records.get(address.key));
    clock.advance(20_500);
    const error = await rejection(resendVerificationCode(deps, { address, lang: 'en' }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).retryAfterSeconds).toBe(40);
    expect(mailer.sent).toHaveLength(1);
    expect(store.records.get(address.key)).toEqual(before);
  });

  test('the window: five mails an hour, the sixth told when the oldest leaves the window', async () => {
    const { mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    for (let i = 0; i < 4; i += 1) {
      clock.advance(60_000);
      await resendVerificationCode(deps, { address, lang: 'en' });
    }
    clock.advance(60_000);
    const error = await rejection(resendVerificationCode(deps, { address, lang: 'en' }));
    expect((error as QuotaExceededError).retryAfterSeconds).toBe(3600 - 300);
    expect(mailer.sent).toHaveLength(5);
    clock.now = T + 3_600_000;
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: false });
    expect(mailer.sent).toHaveLength(6);
  });

  test('an address never started, or whose record expired, is VerificationNotFoundError; a verified one AlreadyVerifiedError', async () => {
    const { store, mailer, clock, deps } = setup();
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).rejects.toBeInstanceOf(VerificationNotFoundError);
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(3_600_000);
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).rejects.toBeInstanceOf(VerificationNotFoundError);
    clock.now = T + 60_000;
    store.records.set(address.key, { ...store.records.get(address.key)!, status: 'verified' });
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).rejects.toBeInstanceOf(AlreadyVerifiedError);
    expect(mailer.sent).toHaveLength(1);
  });

  test('a mail failure reverts the send: StageFailedError send-mail, record as before, quota not charged', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    const before = structuredClone(store.records.get(address.key));
    mailer.failure = new Error('Throttling: Maximum sending rate exceeded');
    const error = await rejection(resendVerificationCode(deps, { address, lang: 'en' }));
    expect(error).toBeInstanceOf(StageFailedError);
    expect((error as StageFailedError).stage).toBe('send-mail');
    expect((error as StageFailedError).cause).toBe(mailer.failure);
    const [receipt] = store.callsOf('revertSend')[0] as [{ key: string; sentOtpHash: string; before: unknown }];
    expect(receipt.key).toBe(address.key);
    expect(receipt.before).toEqual(before);
    expect(store.records.get(address.key)).toEqual(before);
    // Not charged: the retry goes out at once, and the first code is still the live one.
    mailer.failure = undefined;
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: false });
    expect(store.records.get(address.key)!.previousOtp).toEqual(before!.currentOtp);
  });

  test('when the revert fails too, the caller still gets send-mail and the failure is reported', async () => {
    const { store, mailer, clock, deps, revertFailures } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    mailer.failure = new Error('SES down');
    const revertError = new Error('DynamoDB down');
    store.failures.set('revertSend', revertError);
    const error = await rejection(resendVerificationCode(deps, { address, lang: 'en' }));
    expect((error as StageFailedError).stage).toBe('send-mail');
    expect(revertFailures).toEqual([revertError]);
  });

  test('each failing stage is reported as that stage, before anything is written or mailed', async () => {
    const failingRandom = setup({
      random: () => {
        throw new Error('entropy exhausted');
      },
    });
    const otpError = await rejection(resendVerificationCode(failingRandom.deps, { address, lang: 'en' }));
    expect((otpError as StageFailedError).stage).toBe('create-otp');
    expect(failingRandom.store.calls).toEqual([]);

    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    const linkError = await rejection(
      resendVerificationCode(deps, {
        address,
        lang: 'en',
        linkFor: async () => {
          throw new Error('no signing key');
        },
      }),
    );
    expect((linkError as StageFailedError).stage).toBe('create-token');
    expect(store.callsOf('recordResend')).toHaveLength(0);

    store.failures.set('recordResend', new Error('ProvisionedThroughputExceeded'));
    expect(((await rejection(resendVerificationCode(deps, { address, lang: 'en' }))) as StageFailedError).stage).toBe('save-verification');
    store.failures.set('recordResend', new CorruptRecordError('verification', 'no status'));
    expect(((await rejection(resendVerificationCode(deps, { address, lang: 'en' }))) as StageFailedError).stage).toBe('read-verification');
    store.failures.set('recordResend', new CorruptRecordError('quota-state', 'sendLog unreadable'));
    expect(((await rejection(resendVerificationCode(deps, { address, lang: 'en' }))) as StageFailedError).stage).toBe('read-quota-state');
    expect(mailer.sent).toHaveLength(1);
  });

  test('a link, when the API offers one, is built for the address and mailed', async () => {
    const { mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    const seen: unknown[] = [];
    await resendVerificationCode(deps, {
      address,
      lang: 'en',
      linkFor: async (target, now) => {
        seen.push([target, now]);
        return 'https://api.example.com/verify?token=t&x=1';
      },
    });
    expect(seen).toEqual([[address, T + 60_000]]);
    expect(mailer.sent[1]!.text).toContain('https://api.example.com/verify?token=t&x=1');
    expect(mailer.sent[1]!.html).toContain('href="https://api.example.com/verify?token=t&#38;x=1"');
  });

  test('a send log written under another RESEND_MAX_PER_WINDOW is refitted once, then the send is recorded', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification({ ...deps, settings: { ...deps.settings, quota: { ...QUOTA, maxPerWindow: 3 } } }, { address, lang: 'en' });
    expect(store.records.get(address.key)!.sendLog).toEqual([0, 0, T]);
    clock.advance(60_000);
    await expect(resendVerificationCode(deps, { address, lang: 'en' })).resolves.toEqual({ address, started: false });
    expect(store.callsOf('replaceSendLog')).toEqual([[address.key, [0, 0, T], [0, 0, 0, 0, T]]]);
    expect(store.records.get(address.key)!.sendLog).toEqual([0, 0, 0, T, T + 60_000]);
    expect(mailer.sent).toHaveLength(2);
  });

  test('a refitted log that is over the new limit is a quota refusal', async () => {
    const { store, clock, deps } = setup();
    const small = { ...deps, settings: { ...deps.settings, quota: { ...QUOTA, maxPerWindow: 2 } } };
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    await resendVerificationCode(deps, { address, lang: 'en' });
    clock.advance(60_000);
    const error = await rejection(resendVerificationCode(small, { address, lang: 'en' }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).retryAfterSeconds).toBe(3600 - 120);
    expect(store.callsOf('replaceSendLog')).toHaveLength(0);
  });
});

describe('what the mail says about the code mailed before', () => {
  const EN = 'The code from our previous email also still works until it expires.';
  const ZH = '上一封邮件中的验证码在过期前仍然可用。';

  test('the first mail does not mention an earlier code', async () => {
    const { mailer, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    expect(mailer.sent[0]!.text).not.toContain('previous email');
    expect(mailer.sent[0]!.html).not.toContain('previous email');
  });

  test('a resend that keeps the earlier code live says so, in both parts and both languages', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    clock.advance(60_000);
    await resendVerificationCode(deps, { address, lang: 'en' });
    expect(store.records.get(address.key)!.previousOtp).toBeDefined();
    expect(mailer.sent[1]!.text).toContain(EN);
    expect(mailer.sent[1]!.html).toContain(EN);
    clock.advance(60_000);
    await resendVerificationCode(deps, { address, lang: 'zh' });
    expect(mailer.sent[2]!.text).toContain(ZH);
    expect(mailer.sent[2]!.html).toContain(ZH);
  });

  test('a resend after a wrong guess retires the earlier code, and the mail does not claim it works', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'en' });
    store.records.set(address.key, { ...store.records.get(address.key)!, guesses: 1 });
    clock.advance(60_000);
    await resendVerificationCode(deps, { address, lang: 'en' });
    expect(store.records.get(address.key)!.previousOtp).toBeUndefined();
    expect(mailer.sent[1]!.text).not.toContain('previous email');
    expect(mailer.sent[1]!.html).not.toContain('previous email');
  });

  test('a resend after the earlier code expired does not claim it works', async () => {
    const { store, mailer, clock, deps } = setup();
    await startVerification(deps, { address, lang: 'zh' });
    clock.advance(600_000);
    await resendVerificationCode(deps, { address, lang: 'zh' });
    expect(store.records.get(address.key)!.previousOtp!.expiresAt).toBe(T + 600_000);
    expect(mailer.sent[1]!.text).not.toContain(ZH);
    expect(mailer.sent[1]!.text).toContain('验证码在 10 分钟内有效。');
  });
});
