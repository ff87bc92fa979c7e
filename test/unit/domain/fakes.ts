/**
 * In-memory stand-ins for the ports, with the same conditions the DynamoDB store writes, so the
 * use cases can be tested without AWS. Every call is recorded.
 */
import { isDeepStrictEqual } from 'node:util';
import type {
  GuessOutcome,
  LimitCounters,
  Mailer,
  MarkVerifiedOptions,
  OutgoingMail,
  SendCommand,
  SendLogState,
  SendOutcome,
  SendUndo,
  UndoOutcome,
  VerificationStore,
} from '../../../src/domain/ports.js';
import { emptySendLog, quotaEdges, recordInSendLog, recordInSentCodes } from '../../../src/domain/quota.js';
import type { SentCode, VerificationRecord } from '../../../src/domain/verification-record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const copy = (record: VerificationRecord): VerificationRecord => structuredClone(record);
/**
 * Equal as DynamoDB compares values in a condition. Through JSON, so that values copied with
 * structuredClone (made in another realm under jest) compare by content alone.
 */
const sameValue = (a: unknown, b: unknown): boolean =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));

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
    const sent: SentCode = { otp: command.otp, keptPrevious: false, guessesBefore: 0 };
    const after: SendLogState = {
      sendLog: recordInSendLog(emptySendLog(command.policy), command.policy, command.now),
      sentCodes: recordInSentCodes([], command.policy, sent),
    };
    this.records.set(command.key, {
      key: command.key,
      address: command.address,
      status: 'pending',
      lang: command.lang,
      createdAt: command.now,
      updatedAt: command.now,
      currentOtp: command.otp,
      guesses: 0,
      ...structuredClone(after),
      expiresAt: command.recordExpiresAt,
      ...(command.clientIp ? { lastSendIp: command.clientIp } : {}),
      ...(command.submittedBy ? { submittedBy: command.submittedBy } : {}),
    });
    return { kind: 'recorded', receipt: { key: command.key, sentAt: command.now, sent, before: undefined, after } };
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
      current.sentCodes?.length !== slots ||
      current.sendLog[0]! > windowEdge ||
      current.sendLog[slots - 1]! > cooldownEdge ||
      current.guesses !== (command.dropPreviousCode ? (command.expectedGuesses ?? 0) : 0)
    ) {
      return { kind: 'refused', current: current && copy(current) };
    }
    const sent: SentCode = {
      otp: command.otp,
      keptPrevious: !command.dropPreviousCode,
      guessesBefore: command.dropPreviousCode ? (command.expectedGuesses ?? 0) : 0,
    };
    const after: SendLogState = {
      sendLog: recordInSendLog(current.sendLog, command.policy, command.now),
      sentCodes: recordInSentCodes(current.sentCodes, command.policy, sent),
    };
    const next: Mutable<VerificationRecord> = {
      ...copy(current),
      ...structuredClone(after),
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
      receipt: { key: command.key, sentAt: command.now, sent, before: copy(current), after },
      ...(next.previousOtp ? { previousCodeExpiresAt: next.previousOtp.expiresAt } : {}),
    };
  }

  async reshapeSendLog(
    key: string,
    expected: { readonly sendLog: readonly number[]; readonly sentCodes: SendLogState['sentCodes'] | undefined },
    replacement: SendLogState,
  ): Promise<void> {
    this.enter('reshapeSendLog', [key, expected, replacement]);
    const current = this.records.get(key);
    if (
      current &&
      sameValue(current.sendLog, expected.sendLog) &&
      sameValue(current.sentCodes, expected.sentCodes)
    ) {
      this.records.set(key, { ...current, ...structuredClone(replacement) });
    }
  }

  async undoSend(undo: SendUndo): Promise<UndoOutcome> {
    this.enter('undoSend', [undo]);
    const current = this.records.get(undo.key);
    if (
      !current ||
      current.status !== 'pending' ||
      !sameValue(current.sendLog, undo.seen.sendLog) ||
      !sameValue(current.sentCodes, undo.seen.sentCodes)
    ) {
      return { kind: 'refused', current: current && copy(current) };
    }
    const change = undo.change;
    if (change.kind === 'delete') {
      this.records.delete(undo.key);
      return { kind: 'undone' };
    }
    const next: Mutable<VerificationRecord> = {
      ...copy(current),
      sendLog: [...change.sendLog],
      sentCodes: structuredClone([...change.sentCodes]),
      guesses: current.guesses + change.addGuesses,
    };
    if (change.liveCodes) {
      next.currentOtp = change.liveCodes.current;
      if (change.liveCodes.previous) next.previousOtp = change.liveCodes.previous;
      else delete next.previousOtp;
    }
    if (change.restore) {
      Object.assign(next, { lang: change.restore.lang, updatedAt: change.restore.updatedAt, expiresAt: change.restore.expiresAt });
      if (change.restore.lastSendIp) next.lastSendIp = change.restore.lastSendIp;
      else delete next.lastSendIp;
    }
    this.records.set(undo.key, next);
    return { kind: 'undone' };
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

/** Hard-limit counters in memory, as the DynamoDB ones behave. */
export class InMemoryLimitCounters implements LimitCounters {
  readonly used = new Map<string, number>();

  async take(counterKey: string, wanted: number, limit: number): Promise<number> {
    const got = Math.max(0, Math.min(wanted, limit - (this.used.get(counterKey) ?? 0)));
    this.used.set(counterKey, (this.used.get(counterKey) ?? 0) + got);
    return got;
  }

  async giveBack(counterKey: string, units: number): Promise<void> {
    if (units > 0 && this.used.has(counterKey)) this.used.set(counterKey, this.used.get(counterKey)! - units);
  }
}
