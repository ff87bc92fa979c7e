import { normalizeEmailAddress } from '../../../src/domain/address.js';
import { parseEmailList } from '../../../src/domain/email-list.js';
import { QuotaExceededError, SendLimitError, StageFailedError } from '../../../src/domain/errors.js';
import { OtpIssuer } from '../../../src/domain/otp.js';
import type { SendCommand } from '../../../src/domain/ports.js';
import { sendBatch, type BatchLimit } from '../../../src/domain/send-batch.js';
import { recordSend, type SendDependencies } from '../../../src/domain/send-verification-code.js';
import { DependencyTimeoutError } from '../../../src/domain/time-budget.js';
import { InMemoryLimitCounters, InMemoryVerificationStore, ManualClock, RecordingMailer } from './fakes.js';
import { MailComposer } from '../../../src/domain/mail-composition.js';

const T = 1_800_000_000_000;
const QUOTA = { cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 3600 };

function setup() {
  const store = new InMemoryVerificationStore();
  const mailer = new RecordingMailer();
  const counters = new InMemoryLimitCounters();
  const clock = new ManualClock(T);
  const deps: SendDependencies & { counters: InMemoryLimitCounters } = {
    store,
    mailer,
    counters,
    otps: new OtpIssuer(new TextEncoder().encode('unit-test-otp-hash-key-0123456789abcdef'), 600),
    clock: clock.read,
    mail: new MailComposer({ productName: 'Acme', otpTtlSeconds: 600 }),
    settings: { quota: QUOTA, pendingRetentionSeconds: 3600 },
  };
  return { store, mailer, counters, clock, deps };
}

const ipLimit = (limit: number): BatchLimit => ({ name: 'client-ip', counterKey: 'ip', limit, expiresAt: T + 7_200_000 });
const codeOf = (error: unknown) =>
  error === undefined ? 'sent' : error instanceof StageFailedError ? `${error.stage}` : (error as Error).constructor.name;

async function pending(deps: SendDependencies, ...emails: string[]): Promise<void> {
  for (const email of emails) await recordSend(deps, { address: normalizeEmailAddress(email), lang: 'en' }, 'start');
}

describe('sendBatch', () => {
  test("an address refused for its own reason reports it and takes no unit; units are spent only by mails", async () => {
    const { deps, counters, mailer, clock } = setup();
    await pending(deps, 'failing@example.com', 'a@example.com', 'b@example.com', 'c@example.com');
    clock.advance(61_000);
    // Just mailed: inside its cooldown, while the others are past theirs.
    await pending(deps, 'blocked@example.com');
    const mailerSend = mailer.send.bind(mailer);
    mailer.send = async (mail) => {
      if (mail.to === 'failing@example.com') throw new Error('MessageRejected');
      return mailerSend(mail);
    };
    const outcomes = await sendBatch(deps, {
      entries: parseEmailList('blocked@example.com,failing@example.com,a@example.com,never@example.com,b@example.com,c@example.com', 50),
      action: 'resend',
      lang: 'en',
      limits: [ipLimit(3)],
      concurrency: 2,
    });
    expect(outcomes.map((outcome) => [outcome.given, codeOf(outcome.error)])).toEqual([
      ['blocked@example.com', 'QuotaExceededError'],
      ['failing@example.com', 'send-mail'],
      ['a@example.com', 'sent'],
      ['never@example.com', 'VerificationNotFoundError'],
      ['b@example.com', 'sent'],
      ['c@example.com', 'SendLimitError'],
    ]);
    expect(outcomes[0]!.error).toBeInstanceOf(QuotaExceededError);
    expect((outcomes[5]!.error as SendLimitError).limit).toBe('client-ip');
    // Three units were covered (failing, a, b); failing's mail failed and gave its unit back.
    expect(counters.used.get('ip')).toBe(2);
  });

  test('an address the limit cuts is taken back: its record is as it was', async () => {
    const { deps, store, clock, mailer } = setup();
    await pending(deps, 'a@example.com', 'b@example.com');
    clock.advance(61_000);
    const before = structuredClone(store.records.get('b@example.com'));
    const outcomes = await sendBatch(deps, { entries: parseEmailList('a@example.com,b@example.com', 50), action: 'resend', lang: 'en', limits: [ipLimit(1)], concurrency: 5 });
    expect(outcomes.map((outcome) => codeOf(outcome.error))).toEqual(['sent', 'SendLimitError']);
    expect(store.records.get('b@example.com')).toEqual(before);
    expect(mailer.countTo('b@example.com')).toBe(0);
  });

  test('once a write times out, the addresses not yet recorded fail at once rather than each waiting', async () => {
    const { deps, store, clock } = setup();
    await pending(deps, 'a@example.com', 'b@example.com', 'c@example.com');
    clock.advance(61_000);
    let writes = 0;
    store.recordResend = async (_command: SendCommand) => {
      writes++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new DependencyTimeoutError('DynamoDB UpdateItem', 100);
    };
    const started = Date.now();
    const outcomes = await sendBatch(deps, { entries: parseEmailList('a@example.com,b@example.com,c@example.com', 50), action: 'resend', lang: 'en', limits: [], concurrency: 1 });
    expect(Date.now() - started).toBeLessThan(200);
    expect(writes).toBe(1);
    expect(outcomes.map((outcome) => codeOf(outcome.error))).toEqual(['save-verification', 'save-verification', 'save-verification']);
  });

  test('once a mail times out, the addresses still to be mailed fail at once and are taken back', async () => {
    const { deps, store, clock, mailer, counters } = setup();
    await pending(deps, 'a@example.com', 'b@example.com', 'c@example.com');
    clock.advance(61_000);
    const before = structuredClone([...store.records.values()]);
    let mails = 0;
    mailer.send = async () => {
      mails++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new DependencyTimeoutError('SES SendEmail', 100);
    };
    const started = Date.now();
    const outcomes = await sendBatch(deps, { entries: parseEmailList('a@example.com,b@example.com,c@example.com', 50), action: 'resend', lang: 'en', limits: [ipLimit(10)], concurrency: 1 });
    expect(Date.now() - started).toBeLessThan(200);
    expect(mails).toBe(1);
    expect(outcomes.map((outcome) => codeOf(outcome.error))).toEqual(['send-mail', 'send-mail', 'send-mail']);
    expect([...store.records.values()]).toEqual(before);
    expect(counters.used.get('ip')).toBe(0);
  });
});
