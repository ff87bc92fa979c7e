import { normalizeEmailAddress } from '../../../src/domain/address.js';
import {
  AlreadyVerifiedError,
  CodeExpiredError,
  StageFailedError,
  TooManyAttemptsError,
  VerificationNotFoundError,
  WrongCodeError,
} from '../../../src/domain/errors.js';
import { MailComposer } from '../../../src/domain/mail-composition.js';
import { OtpIssuer } from '../../../src/domain/otp.js';
import { resendVerificationCode, startVerification, type SendDependencies } from '../../../src/domain/send-verification-code.js';
import { CorruptRecordError, isLive, liveOtps } from '../../../src/domain/verification-record.js';
import { verifyByLink, verifyWithCode, type VerifyDependencies } from '../../../src/domain/verify-address.js';
import { InMemoryVerificationStore, ManualClock, RecordingMailer } from './fakes.js';

const T = 1_800_000_000_000;
const KEY = new TextEncoder().encode('unit-test-otp-hash-key-0123456789abcdef');
const address = normalizeEmailAddress('jane@example.com');

function setup() {
  const store = new InMemoryVerificationStore();
  const mailer = new RecordingMailer();
  const clock = new ManualClock(T);
  let next = 200_000;
  const otps = new OtpIssuer(KEY, 600, () => (next += 7));
  const send: SendDependencies = {
    store,
    mailer,
    mail: new MailComposer({ productName: 'Acme', otpTtlSeconds: 600 }),
    otps,
    clock: clock.read,
    settings: { quota: { cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 3600 }, pendingRetentionSeconds: 3600 },
  };
  const verify: VerifyDependencies = {
    store,
    otps,
    clock: clock.read,
    settings: { maxGuesses: 5, verifiedRetentionSeconds: 86_400 },
  };
  const start = async () => {
    await startVerification(send, { address, lang: 'en' });
    return mailer.lastCodeTo(address.address);
  };
  const resend = async () => {
    clock.advance(60_000);
    await resendVerificationCode(send, { address, lang: 'en' });
    return mailer.lastCodeTo(address.address);
  };
  return { store, mailer, clock, verify, start, resend };
}

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('verifyWithCode', () => {
  test('the right code verifies the address and burns its codes', async () => {
    const { store, clock, verify, start } = setup();
    const code = await start();
    clock.advance(5_000);
    await expect(verifyWithCode(verify, address, code, 'iam')).resolves.toBeUndefined();
    const record = store.records.get(address.key)!;
    expect(record).toMatchObject({ status: 'verified', verifiedAt: T + 5_000, expiresAt: T + 5_000 + 86_400_000 });
    expect(record.verifiedVia).toEqual({ method: 'code', api: 'iam' });
    expect(store.callsOf('markVerified')).toHaveLength(1);
    expect(record.currentOtp).toBeUndefined();
    expect(record.previousOtp).toBeUndefined();
    await expect(verifyWithCode(verify, address, code, 'iam')).rejects.toBeInstanceOf(AlreadyVerifiedError);
  });

  test('a wrong code is WrongCodeError with the attempts left', async () => {
    const { store, verify, start } = setup();
    const code = await start();
    const first = await verifyWithCode(verify, address, wrongCode(code), 'iam').catch((error: unknown) => error);
    expect(first).toBeInstanceOf(WrongCodeError);
    expect((first as WrongCodeError).attemptsLeft).toBe(4);
    expect(store.records.get(address.key)).toMatchObject({ status: 'pending', guesses: 1 });
  });

  test('five wrong codes, then even the right one is TooManyAttemptsError', async () => {
    const { store, verify, start } = setup();
    const code = await start();
    const left: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const error = await verifyWithCode(verify, address, wrongCode(code), 'iam').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WrongCodeError);
      left.push((error as WrongCodeError).attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    await expect(verifyWithCode(verify, address, code, 'iam')).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(store.records.get(address.key)).toMatchObject({ status: 'pending', guesses: 5 });
  });

  test('a malformed code counts as a guess and never matches', async () => {
    const { store, verify, start } = setup();
    await start();
    await expect(verifyWithCode(verify, address, '12345', 'iam')).rejects.toBeInstanceOf(WrongCodeError);
    expect(store.records.get(address.key)!.guesses).toBe(1);
  });

  test('an expired code is CodeExpiredError while the record is live', async () => {
    const { verify, clock, start } = setup();
    const code = await start();
    clock.advance(600_000);
    await expect(verifyWithCode(verify, address, code, 'iam')).rejects.toBeInstanceOf(CodeExpiredError);
  });

  test('after a resend the previous code still works, and so does the new one', async () => {
    const first = setup();
    const firstCode = await first.start();
    const newCode = await first.resend();
    expect(newCode).not.toBe(firstCode);
    await expect(verifyWithCode(first.verify, address, firstCode, 'iam')).resolves.toBeUndefined();
    // Both burned.
    await expect(verifyWithCode(first.verify, address, newCode, 'iam')).rejects.toBeInstanceOf(AlreadyVerifiedError);

    const second = setup();
    await second.start();
    const latest = await second.resend();
    await expect(verifyWithCode(second.verify, address, latest, 'iam')).resolves.toBeUndefined();
  });

  test('the previous code works until its own expiry, not the new one', async () => {
    const { verify, clock, start, resend } = setup();
    const firstCode = await start(); // expires at T + 600 s
    const newCode = await resend(); // sent at T + 60 s, expires at T + 660 s
    clock.now = T + 600_000;
    await expect(verifyWithCode(verify, address, firstCode, 'iam')).rejects.toBeInstanceOf(WrongCodeError);
    await expect(verifyWithCode(verify, address, newCode, 'iam')).resolves.toBeUndefined();
  });

  test('after a wrong guess a resend retires the previous code: no code meets more than the guess limit', async () => {
    const { verify, store, start, resend } = setup();
    const firstCode = await start();
    const wrong = firstCode === '000000' ? '000001' : '000000';
    await expect(verifyWithCode(verify, address, wrong, 'iam')).rejects.toBeInstanceOf(WrongCodeError);
    const newCode = await resend();
    const record = store.records.get(address.key)!;
    expect(record.guesses).toBe(0);
    expect(record.previousOtp).toBeUndefined();
    await expect(verifyWithCode(verify, address, firstCode, 'iam')).rejects.toBeInstanceOf(WrongCodeError);
    await expect(verifyWithCode(verify, address, newCode, 'iam')).resolves.toBeUndefined();
  });

  test('two resends later the first code no longer works', async () => {
    const { verify, start, resend } = setup();
    const firstCode = await start();
    await resend();
    const third = await resend();
    await expect(verifyWithCode(verify, address, firstCode, 'iam')).rejects.toBeInstanceOf(WrongCodeError);
    await expect(verifyWithCode(verify, address, third, 'iam')).resolves.toBeUndefined();
  });

  test('wrong guesses are shared by both live codes, and a resend gives a fresh allowance', async () => {
    const { verify, start, resend } = setup();
    const firstCode = await start();
    const newCode = await resend();
    for (let i = 0; i < 5; i += 1) await verifyWithCode(verify, address, '000000', 'iam').catch(() => undefined);
    await expect(verifyWithCode(verify, address, firstCode, 'iam')).rejects.toBeInstanceOf(TooManyAttemptsError);
    await expect(verifyWithCode(verify, address, newCode, 'iam')).rejects.toBeInstanceOf(TooManyAttemptsError);
    const latest = await resend();
    await expect(verifyWithCode(verify, address, latest, 'iam')).resolves.toBeUndefined();
  });

  test('an address with no record, or an expired one, is VerificationNotFoundError', async () => {
    const { verify, clock, start } = setup();
    await expect(verifyWithCode(verify, address, '123456', 'iam')).rejects.toBeInstanceOf(VerificationNotFoundError);
    const code = await start();
    clock.advance(3_600_000);
    await expect(verifyWithCode(verify, address, code, 'iam')).rejects.toBeInstanceOf(VerificationNotFoundError);
  });

  test('a match whose code was replaced meanwhile (the conditional write refused) is CodeExpiredError', async () => {
    const { store, verify, start } = setup();
    const code = await start();
    const racing: VerifyDependencies = { ...verify, store: Object.assign(Object.create(store) as typeof store, { markVerified: async () => false }) };
    await expect(verifyWithCode(racing, address, code, 'iam')).rejects.toBeInstanceOf(CodeExpiredError);
    expect(store.records.get(address.key)!.status).toBe('pending');
  });

  test('a store fault is the save stage', async () => {
    const { store, verify, start } = setup();
    const code = await start();
    store.failures.set('reserveGuess', new Error('DynamoDB unavailable'));
    const error = await verifyWithCode(verify, address, code, 'iam').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StageFailedError);
    expect((error as StageFailedError).stage).toBe('save-verification');
  });

  test('a record that cannot be read back is a read stage, by the part that is unreadable', async () => {
    const { store, verify, start } = setup();
    const code = await start();
    store.failures.set('reserveGuess', new CorruptRecordError('verification', 'no status'));
    expect(((await verifyWithCode(verify, address, code, 'iam').catch((caught: unknown) => caught)) as StageFailedError).stage).toBe('read-verification');
    store.failures.set('reserveGuess', new CorruptRecordError('quota-state', 'sendLog unreadable'));
    expect(((await verifyWithCode(verify, address, code, 'iam').catch((caught: unknown) => caught)) as StageFailedError).stage).toBe('read-quota-state');
  });
});

describe('verifyByLink', () => {
  test('verifies a pending address, records the confirming IP, and refuses a second time', async () => {
    const { store, verify, start } = setup();
    await start();
    await expect(verifyByLink(verify, address, { api: 'rpc', confirmIp: '203.0.113.9' })).resolves.toBeUndefined();
    expect(store.records.get(address.key)).toMatchObject({ status: 'verified', confirmIp: '203.0.113.9' });
    expect(store.records.get(address.key)!.verifiedVia).toEqual({ method: 'link', api: 'rpc' });
    await expect(verifyByLink(verify, address, { api: 'rpc' })).rejects.toBeInstanceOf(AlreadyVerifiedError);
  });

  test('an unknown address is VerificationNotFoundError', async () => {
    const { verify } = setup();
    await expect(verifyByLink(verify, address, { api: 'rpc' })).rejects.toBeInstanceOf(VerificationNotFoundError);
  });
});

describe('record liveness', () => {
  test('only the record\'s own times count: present but expired is not live', () => {
    const base = {
      key: 'a@b.cd',
      address: 'a@b.cd',
      status: 'pending' as const,
      lang: 'en' as const,
      createdAt: T,
      updatedAt: T,
      guesses: 0,
      sendLog: [T],
      expiresAt: T + 10,
      currentOtp: { hash: 'h1', salt: 's1', expiresAt: T + 5 },
      previousOtp: { hash: 'h0', salt: 's0', expiresAt: T + 2 },
    };
    expect(isLive(base, T + 9)).toBe(true);
    expect(isLive(base, T + 10)).toBe(false);
    expect(isLive(undefined, T)).toBe(false);
    expect(liveOtps(base, T + 1).map((otp) => otp.hash)).toEqual(['h1', 'h0']);
    expect(liveOtps(base, T + 2).map((otp) => otp.hash)).toEqual(['h1']);
    expect(liveOtps(base, T + 5)).toEqual([]);
  });
});
