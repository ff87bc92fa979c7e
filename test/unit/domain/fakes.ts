/**
 * In-memory stand-ins for the ports, with the same conditions the DynamoDB store writes, so the
 * use cases can be tested without AWS. Every call is recorded.
 */
import { isDeepStrictEqual } from 'node:util';
import type {
  GuessOutcome,
  Mailer,
  MarkVerifiedOptions,
  OutgoingMail,
  SendCommand,
  SendOutcome,
  SendReceipt,
  VerificationStore,
} from '../../../src/domain/ports.js';
import { emptySendLog, quotaEdges, recordInSendLog } from '../../../src/domain/quota.js';
import type { VerificationRecord } from '../../../src/domain/verification-record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const copy = (record: VerificationRecord): VerificationRecord => structuredClone(record);

export class InMemoryVerificationStore implements VerificationStore {
  readonly records = new Map<string, VerificationRecord>();
  readonly calls: { method: keyof VerificationStore; args: unknown[] }[] = [];
  /** Set to make the next calls of a method throw (a fault in the store). */
  readonly failures = new Map<keyof VerificationStore, unknown>();

  private enter(method: keyof VerificationStore, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure !== undefined) throw failure;
  }

  callsOf(method: keyof VerificationStore): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  async createPending(command: SendCommand): Promise<SendOutcome> {
    this.enter('createPending', [command]);
    const current = this.records.get(command.key);
    if (current && current.expiresAt > command.now) return { kind: 'refused', current: copy(current) };
    this.records.set(command.key, {
      key: command.key,
      address: command.address,
      status: 'pending',
      lang: command.lang,
      createdAt: command.now,
      updatedAt: command.now,
      currentOtp: command.otp,
      guesses: 0,
      sendLog: recordInSendLog(emptySendLog(command.policy), command.policy, command.now),
      expiresAt: command.recordExpiresAt,
      ...(command.clientIp ? { lastSendIp: command.clientIp } : {}),
      ...(command.submittedBy ? { submittedBy: command.submittedBy } : {}),
    });
    return { kind: 'recorded', receipt: { key: command.key, sentOtpHash: command.otp.hash, before: undefined } };
  }

  async recordResend(command: SendCommand): Promise<SendOutcome> {
    this.enter('recordResend', [command]);
    const current = this.records.get(command.key);
    const slots = command.policy.maxPerWindow;
    const { cooldownEdge, windowEdge } = quotaEdges(command.policy, command.now);
    if (
      !current ||
      current.expiresAt <= command.now ||
      current.status !== 'pending' ||
      current.sendLog.length !== slots ||
      current.sendLog[0]! > windowEdge ||
      current.sendLog[slots - 1]! > cooldownEdge ||
      (!command.dropPreviousCode && current.guesses > 0)
    ) {
      return { kind: 'refused', current: current && copy(current) };
    }
    const next: Mutable<VerificationRecord> = {
      ...copy(current),
      sendLog: recordInSendLog(current.sendLog, command.policy, command.now),
      currentOtp: command.otp,
      guesses: 0,
      lang: command.lang,
      updatedAt: command.now,
      expiresAt: command.recordExpiresAt,
    };
    if (current.currentOtp && !command.dropPreviousCode) next.previousOtp = current.currentOtp;
    else delete next.previousOtp;
    if (command.clientIp) next.lastSendIp = command.clientIp;
    this.records.set(command.key, next);
    return {
      kind: 'recorded',
      receipt: { key: command.key, sentOtpHash: command.otp.hash, before: copy(current) as unknown as Record<string, unknown> },
      ...(next.previousOtp ? { previousCodeExpiresAt: next.previousOtp.expiresAt } : {}),
    };
  }

  async replaceSendLog(key: string, expected: readonly number[], replacement: readonly number[]): Promise<void> {
    this.enter('replaceSendLog', [key, expected, replacement]);
    const current = this.records.get(key);
    if (current && isDeepStrictEqual([...current.sendLog], [...expected])) {
      this.records.set(key, { ...current, sendLog: [...replacement] });
    }
  }

  async revertSend(receipt: SendReceipt): Promise<void> {
    this.enter('revertSend', [receipt]);
    const current = this.records.get(receipt.key);
    if (current?.currentOtp?.hash !== receipt.sentOtpHash) return;
    if (receipt.before === undefined) this.records.delete(receipt.key);
    else this.records.set(receipt.key, structuredClone(receipt.before) as unknown as VerificationRecord);
  }

  async reserveGuess(key: string, maxGuesses: number, now: number): Promise<GuessOutcome> {
    this.enter('reserveGuess', [key, maxGuesses, now]);
    const current = this.records.get(key);
    if (!current || current.expiresAt <= now || current.status !== 'pending' || current.guesses >= maxGuesses) {
      return { kind: 'refused', current: current && copy(current) };
    }
    const next = { ...copy(current), guesses: current.guesses + 1 };
    this.records.set(key, next);
    return { kind: 'reserved', record: copy(next) };
  }

  async markVerified(key: string, now: number, verifiedExpiresAt: number, options: MarkVerifiedOptions): Promise<boolean> {
    this.enter('markVerified', [key, now, verifiedExpiresAt, options]);
    const current = this.records.get(key);
    if (!current || current.expiresAt <= now || current.status !== 'pending') return false;
    if (
      options.matchedOtpHash !== undefined &&
      current.currentOtp?.hash !== options.matchedOtpHash &&
      current.previousOtp?.hash !== options.matchedOtpHash
    ) {
      return false;
    }
    const next: Mutable<VerificationRecord> = {
      ...copy(current),
      status: 'verified',
      verifiedAt: now,
      verifiedVia: options.via,
      updatedAt: now,
      expiresAt: verifiedExpiresAt,
    };
    delete next.currentOtp;
    delete next.previousOtp;
    if (options.confirmIp) next.confirmIp = options.confirmIp;
    this.records.set(key, next);
    return true;
  }

  async find(key: string): Promise<VerificationRecord | undefined> {
    this.enter('find', [key]);
    const current = this.records.get(key);
    return current && copy(current);
  }
}

export class RecordingMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  /** While set, every send throws it (SES refusing or unreachable). */
  failure: unknown;

  async send(mail: OutgoingMail): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.sent.push(mail);
  }

  /** The code in the newest mail to `to`. */
  lastCodeTo(to: string): string {
    const mail = [...this.sent].reverse().find((candidate) => candidate.to === to);
    const code = mail && /^ {4}(\d{6})$/m.exec(mail.text)?.[1];
    if (!code) throw new Error(`no code mailed to ${to}`);
    return code;
  }

  countTo(to: string): number {
    return this.sent.filter((mail) => mail.to === to).length;
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public now: number) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}
