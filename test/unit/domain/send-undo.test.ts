import fc from 'fast-check';
import { normalizeEmailAddress } from '../../../src/domain/address.js';
import { QuotaExceededError } from '../../../src/domain/errors.js';
import { OtpIssuer } from '../../../src/domain/otp.js';
import { decideQuota } from '../../../src/domain/quota.js';
import { recordSend, withdrawSend, type RecordedSend, type SendDependencies } from '../../../src/domain/send-verification-code.js';
import { InMemoryVerificationStore, ManualClock, RecordingMailer } from './fakes.js';
import { MailComposer } from '../../../src/domain/mail-composition.js';

const T = 1_800_000_000_000;
const KEY = new TextEncoder().encode('unit-test-otp-hash-key-0123456789abcdef');
const QUOTA = { cooldownSeconds: 0, maxPerWindow: 5, windowSeconds: 3600 };
const address = normalizeEmailAddress('undo@example.com');

function setup() {
  const store = new InMemoryVerificationStore();
  const clock = new ManualClock(T);
  const deps: SendDependencies = {
    store,
    mailer: new RecordingMailer(),
    otps: new OtpIssuer(KEY, 600),
    clock: clock.read,
    mail: new MailComposer({ productName: 'Acme', otpTtlSeconds: 600 }),
    settings: { quota: QUOTA, pendingRetentionSeconds: 86_400 },
    onRevertFailure: (error) => {
      throw error;
    },
  };
  return { store, clock, deps };
}

type Step = { kind: 'send'; fails: boolean } | { kind: 'undo'; of: number } | { kind: 'guess' };

/**
 * Sends (some of whose mails fail), wrong guesses and the undos of the failed sends, in any order
 * an overlapping outage can produce.
 */
const scenarios = fc
  .record({
    earlier: fc.integer({ min: 1, max: 5 }),
    // With one earlier send in the window, four more fit the quota: none is refused, so the
    // runs with and without the failed sends make the same sends.
    sends: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    order: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
    guesses: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  })
  .map(({ earlier, sends, order, guesses }) => {
    const steps: Step[] = [];
    const pending: number[] = [];
    let sent = 0;
    for (let i = 0; sent < sends.length || pending.length > 0; i++) {
      const pick = order[i % order.length]! + i;
      if (sent < sends.length && (pending.length === 0 || pick % 2 === 0)) {
        const fails = sends[sent]!;
        if (fails) pending.push(sent);
        steps.push({ kind: 'send', fails });
        sent++;
      } else {
        steps.push({ kind: 'undo', of: pending.splice(pick % pending.length, 1)[0]! });
      }
      if (guesses[i % guesses.length]) steps.push({ kind: 'guess' });
    }
    return { earlier, steps };
  });

/** Plays the steps; with `withoutFailed`, as if the failed sends had never been made. */
async function play(earlier: number, steps: readonly Step[], withoutFailed: boolean) {
  const { store, clock, deps } = setup();
  // Which send each code came from, so two runs compare by origin rather than by random hash.
  const origin = new Map<string, string>();
  const send = async (id: string, mode: 'start' | 'resend') => {
    try {
      const recorded = await recordSend(deps, { address, lang: 'en' }, mode);
      origin.set(recorded.receipt.sent.otp.hash, id);
      return recorded;
    } catch (error) {
      // A send the quota refuses is not recorded: there is nothing to take back.
      expect(error).toBeInstanceOf(QuotaExceededError);
      return undefined;
    }
  };
  // A window apart, so the log fills with sends that later ones push out of it.
  for (let i = 0; i < earlier; i++) {
    if (i > 0) clock.advance(QUOTA.windowSeconds * 1000);
    await send(`earlier-${i}`, i === 0 ? 'start' : 'resend');
  }
  const recorded: (RecordedSend | undefined)[] = [];
  for (const [index, step] of steps.entries()) {
    clock.advance(1);
    if (step.kind === 'send') {
      recorded.push(step.fails && withoutFailed ? undefined : await send(`step-${index}`, 'resend'));
    } else if (step.kind === 'guess') {
      expect((await store.reserveGuess(address.key, 50, clock.now)).kind).toBe('reserved');
    } else if (recorded[step.of]) {
      await withdrawSend(deps, recorded[step.of]!);
    }
  }
  const record = store.records.get(address.key)!;
  const decisions = [0, 1, 30_000, 600_000, 3_599_999, 3_600_000, 3_600_001, 7_200_000].map((offset) =>
    decideQuota(record.sendLog, QUOTA, clock.now + offset),
  );
  return {
    current: origin.get(record.currentOtp!.hash),
    previous: record.previousOtp && origin.get(record.previousOtp.hash),
    guesses: record.guesses,
    decisions,
  };
}

describe('taking failed sends back', () => {
  test('any interleaving of overlapping sends, failures, guesses and undos ends as if the failed sends never happened', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async ({ earlier, steps }) => {
        expect(await play(earlier, steps, false)).toEqual(await play(earlier, steps, true));
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  test('a verification in between burns the codes: nothing is put back', async () => {
    const { store, clock, deps } = setup();
    await recordSend(deps, { address, lang: 'en' }, 'start');
    clock.advance(1000);
    const failed = await recordSend(deps, { address, lang: 'en' }, 'resend');
    expect(await store.markVerified(address.key, clock.now, clock.now + 86_400_000, { via: { method: 'code', api: 'iam' } })).toBe(true);
    const verified = structuredClone(store.records.get(address.key));
    await withdrawSend(deps, failed);
    expect(store.records.get(address.key)).toEqual(verified);
  });
});
