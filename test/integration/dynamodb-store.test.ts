/**
 * DynamoDbVerificationStore against DynamoDB Local (started once by the jest global setup):
 * every condition, the ALL_OLD decoding, the revert, corrupt items and exactness under
 * concurrency.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDbVerificationStore, recordKey } from '../../src/adapters/dynamodb-verification-store.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../src/adapters/table-schema.js';
import { OtpIssuer } from '../../src/domain/otp.js';
import type { SendCommand, SendOutcome, SendReceipt } from '../../src/domain/ports.js';
import type { QuotaPolicy } from '../../src/domain/quota.js';
import { CorruptRecordError, type StoredOtp } from '../../src/domain/verification-record.js';
import { freshAddress } from '../support/fresh-address.js';

type Item = Record<string, AttributeValue>;

const tableName = process.env.TABLE_NAME!;
const client = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});
const store = new DynamoDbVerificationStore(client, tableName);
const otps = new OtpIssuer(new TextEncoder().encode('integration-otp-hash-key-0123456789abcdef'), 600);
const POLICY: QuotaPolicy = { cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 3600 };
const RETENTION_MS = 3_600_000;
const CODE_IAM = { method: 'code', api: 'iam' } as const;

afterAll(() => client.destroy());

function issue(key: string, now: number): { code: string; otp: StoredOtp } {
  const { code, stored } = otps.issue(key, now);
  return { code, otp: stored };
}

function command(key: string, now: number, otp: StoredOtp, policy: QuotaPolicy = POLICY, extra: Partial<SendCommand> = {}): SendCommand {
  return { key, address: key, lang: 'en', otp, policy, now, recordExpiresAt: now + RETENTION_MS, ...extra };
}

async function rawItem(key: string): Promise<Item | undefined> {
  const result = await client.send(new GetItemCommand({ TableName: tableName, Key: recordKey(key), ConsistentRead: true }));
  return result.Item;
}

function receiptOf(outcome: SendOutcome): SendReceipt {
  if (outcome.kind !== 'recorded') throw new Error(`expected recorded, got refused (${JSON.stringify(outcome.current)})`);
  return outcome.receipt;
}

/** A pending record created at `now` with its first code. */
async function created(now = Date.now(), policy = POLICY) {
  const key = freshAddress('store');
  const first = issue(key, now);
  const receipt = receiptOf(await store.createPending(command(key, now, first.otp, policy, { clientIp: '198.51.100.1' })));
  return { key, now, first, receipt };
}

function expectTtlMatches(item: Item | undefined): void {
  expect(item).toBeDefined();
  expect(item![TTL_ATTRIBUTE]?.N).toBe(String(Math.ceil(Number(item!.expiresAt!.N) / 1000)));
  // Epoch seconds, not milliseconds.
  expect(Number(item![TTL_ATTRIBUTE]!.N)).toBeLessThan(Date.now() / 100);
}

describe('createPending', () => {
  test('writes the pending record with its first send, and refuses a second one with the record as it stood', async () => {
    const { key, now, first, receipt } = await created();
    expect(receipt).toEqual({ key, sentOtpHash: first.otp.hash, before: undefined });
    const item = await rawItem(key);
    expect(item).toMatchObject({
      [PARTITION_KEY]: { S: `EMAIL#${key}` },
      status: { S: 'pending' },
      lang: { S: 'en' },
      guesses: { N: '0' },
      otpHash: { S: first.otp.hash },
      sendLog: { L: [{ N: '0' }, { N: '0' }, { N: '0' }, { N: '0' }, { N: String(now) }] },
      lastSendIp: { S: '198.51.100.1' },
    });
    expectTtlMatches(item);
    expect(JSON.stringify(item)).not.toContain(`"${first.code}"`);

    const again = await store.createPending(command(key, now + 1, issue(key, now + 1).otp));
    expect(again.kind).toBe('refused');
    // ALL_OLD decoded: the same record a consistent read gives.
    const current = (again as Extract<SendOutcome, { kind: 'refused' }>).current;
    expect(current).toEqual(await store.find(key));
    expect(current).toEqual({
      key,
      address: key,
      status: 'pending',
      lang: 'en',
      createdAt: now,
      updatedAt: now,
      expiresAt: now + RETENTION_MS,
      guesses: 0,
      sendLog: [0, 0, 0, 0, now],
      currentOtp: first.otp,
      lastSendIp: '198.51.100.1',
    });
  });

  test('replaces a record that expired but is still present (TTL deletes late)', async () => {
    const { key, now } = await created(Date.now() - RETENTION_MS - 1000);
    const later = now + RETENTION_MS + 1000;
    const second = issue(key, later);
    expect((await store.createPending(command(key, later, second.otp))).kind).toBe('recorded');
    expect((await store.find(key))!.currentOtp).toEqual(second.otp);
  });
});

describe('recordResend', () => {
  test('within quota: shifts the log, keeps the previous code, returns the item before (ALL_OLD)', async () => {
    const { key, now, first } = await created();
    const before = await rawItem(key);
    const second = issue(key, now + 60_000);
    const outcome = await store.recordResend(command(key, now + 60_000, second.otp, POLICY, { lang: 'zh' }));
    const receipt = receiptOf(outcome);
    expect(receipt).toEqual({ key, sentOtpHash: second.otp.hash, before });
    // The kept code's expiry, so the mail can say truthfully whether it still works.
    expect(outcome).toMatchObject({ previousCodeExpiresAt: first.otp.expiresAt });
    const record = await store.find(key);
    expect(record).toMatchObject({
      lang: 'zh',
      guesses: 0,
      updatedAt: now + 60_000,
      expiresAt: now + 60_000 + RETENTION_MS,
      sendLog: [0, 0, 0, now, now + 60_000],
      currentOtp: second.otp,
      previousOtp: first.otp,
    });
    expectTtlMatches(await rawItem(key));
  });

  test('after a wrong guess the previous code is kept only by dropping it: refused, then recorded without it', async () => {
    const { key, now } = await created();
    await store.reserveGuess(key, 5, now + 1);
    const second = issue(key, now + 60_000);
    const kept = await store.recordResend(command(key, now + 60_000, second.otp));
    expect(kept).toEqual({ kind: 'refused', current: expect.objectContaining({ guesses: 1 }) });
    const dropped = await store.recordResend(command(key, now + 60_000, second.otp, POLICY, { dropPreviousCode: true }));
    receiptOf(dropped);
    expect(dropped).not.toHaveProperty('previousCodeExpiresAt');
    const record = (await store.find(key))!;
    expect(record).toMatchObject({ guesses: 0, currentOtp: second.otp, sendLog: [0, 0, 0, now, now + 60_000] });
    expect(record.previousOtp).toBeUndefined();
  });

  test('refuses within the cooldown, decoding the record as it stood', async () => {
    const { key, now } = await created();
    const outcome = await store.recordResend(command(key, now + 59_999, issue(key, now).otp));
    expect(outcome).toEqual({ kind: 'refused', current: await store.find(key) });
  });

  test('refuses past the window limit', async () => {
    const zero = { ...POLICY, cooldownSeconds: 0 };
    const { key, now } = await created(Date.now(), zero);
    for (let i = 1; i <= 4; i += 1) receiptOf(await store.recordResend(command(key, now + i, issue(key, now).otp, zero)));
    const outcome = await store.recordResend(command(key, now + 5, issue(key, now).otp, zero));
    expect(outcome.kind).toBe('refused');
    expect((await store.find(key))!.sendLog).toEqual([now, now + 1, now + 2, now + 3, now + 4]);
    // Once the oldest leaves the window, the next is allowed.
    const later = now + 3_600_000;
    expect((await store.recordResend(command(key, later, issue(key, later).otp, zero))).kind).toBe('recorded');
  });

  test('refuses an absent, expired or verified record', async () => {
    const absent = freshAddress('store-absent');
    expect(await store.recordResend(command(absent, Date.now(), issue(absent, 0).otp))).toEqual({ kind: 'refused', current: undefined });

    const { key, now } = await created();
    const expired = await store.recordResend(command(key, now + RETENTION_MS, issue(key, now).otp));
    expect(expired).toMatchObject({ kind: 'refused', current: { key, status: 'pending' } });

    const verified = await created();
    expect(await store.markVerified(verified.key, verified.now + 1, verified.now + 86_400_000, { via: CODE_IAM })).toBe(true);
    const refused = await store.recordResend(command(verified.key, verified.now + 120_000, issue(verified.key, 0).otp));
    expect(refused).toMatchObject({ kind: 'refused', current: { status: 'verified', verifiedAt: verified.now + 1 } });
  });

  test('50 concurrent resends with cooldown 0 and max 5 per window record exactly the 4 the quota leaves', async () => {
    const burst = { ...POLICY, cooldownSeconds: 0 };
    const { key, now } = await created(Date.now() - 1000, burst);
    const at = now + 1000;
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => store.recordResend(command(key, at, issue(key, at).otp, burst))),
    );
    const recorded = outcomes.filter((outcome) => outcome.kind === 'recorded');
    expect(recorded).toHaveLength(4);
    expect(outcomes.filter((outcome) => outcome.kind === 'refused')).toHaveLength(46);
    const record = (await store.find(key))!;
    expect(record.sendLog).toEqual([now, at, at, at, at]);
    // The stored code is one of the recorded sends' codes, the previous another.
    const recordedHashes = recorded.map((outcome) => receiptOf(outcome).sentOtpHash);
    expect(recordedHashes).toContain(record.currentOtp!.hash);
    expect(recordedHashes).toContain(record.previousOtp!.hash);
  });
});

describe('revertSend', () => {
  test('restores the exact previous item: quota refunded, old code still the current one', async () => {
    const { key, now, first } = await created();
    const before = await rawItem(key);
    const at = now + 60_000;
    const receipt = receiptOf(await store.recordResend(command(key, at, issue(key, at).otp)));
    await store.revertSend(receipt);
    expect(await rawItem(key)).toEqual(before);
    const record = (await store.find(key))!;
    expect(otps.match(first.code, key, [record.currentOtp!])).toEqual(first.otp);
    // Refunded: the same send is allowed again at the same instant.
    expect((await store.recordResend(command(key, at, issue(key, at).otp))).kind).toBe('recorded');
  });

  test('does not undo a newer send', async () => {
    const zero = { ...POLICY, cooldownSeconds: 0 };
    const { key, now } = await created(Date.now(), zero);
    const a = receiptOf(await store.recordResend(command(key, now + 1, issue(key, now).otp, zero)));
    const b = issue(key, now + 2);
    receiptOf(await store.recordResend(command(key, now + 2, b.otp, zero)));
    const afterB = await rawItem(key);
    await store.revertSend(a);
    expect(await rawItem(key)).toEqual(afterB);
    expect((await store.find(key))!.currentOtp).toEqual(b.otp);
  });

  test('reverting a first send deletes the record, unless a newer send landed', async () => {
    const { key, receipt } = await created();
    await store.revertSend(receipt);
    expect(await rawItem(key)).toBeUndefined();

    const zero = { ...POLICY, cooldownSeconds: 0 };
    const other = await created(Date.now(), zero);
    receiptOf(await store.recordResend(command(other.key, other.now + 1, issue(other.key, 0).otp, zero)));
    await store.revertSend(other.receipt);
    expect(await rawItem(other.key)).toBeDefined();
  });
});

describe('reserveGuess and markVerified', () => {
  test('50 concurrent guesses with max 5: exactly 5 reserved', async () => {
    const { key, now } = await created();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.reserveGuess(key, 5, now + 1)));
    const reserved = outcomes.filter((outcome) => outcome.kind === 'reserved');
    expect(reserved).toHaveLength(5);
    expect(reserved.map((outcome) => (outcome.kind === 'reserved' ? outcome.record.guesses : 0)).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await store.find(key))!.guesses).toBe(5);
    const refused = outcomes.find((outcome) => outcome.kind === 'refused');
    expect(refused).toMatchObject({ kind: 'refused', current: { key, guesses: 5 } });
    expectTtlMatches(await rawItem(key));
  });

  test('refuses a guess on an absent, expired or verified record', async () => {
    const absent = freshAddress('store-absent');
    expect(await store.reserveGuess(absent, 5, Date.now())).toEqual({ kind: 'refused', current: undefined });
    const { key, now } = await created();
    expect((await store.reserveGuess(key, 5, now + RETENTION_MS)).kind).toBe('refused');
    await store.markVerified(key, now + 1, now + 86_400_000, { via: CODE_IAM });
    expect(await store.reserveGuess(key, 5, now + 2)).toMatchObject({ kind: 'refused', current: { status: 'verified' } });
  });

  test('markVerified with a matched hash: only while that code is current or previous; burns both', async () => {
    const zero = { ...POLICY, cooldownSeconds: 0 };
    const { key, now, first } = await created(Date.now(), zero);
    receiptOf(await store.recordResend(command(key, now + 1, issue(key, now + 1).otp, zero)));
    receiptOf(await store.recordResend(command(key, now + 2, issue(key, now + 2).otp, zero)));
    // The first code is gone (two newer sends): refused.
    expect(await store.markVerified(key, now + 3, now + 86_400_000, { via: CODE_IAM, matchedOtpHash: first.otp.hash })).toBe(false);
    const previous = (await store.find(key))!.previousOtp!;
    expect(await store.markVerified(key, now + 3, now + 86_400_000, { via: CODE_IAM, matchedOtpHash: previous.hash, confirmIp: '203.0.113.5' })).toBe(true);
    const item = (await rawItem(key))!;
    expect(item.status).toEqual({ S: 'verified' });
    expect(item.confirmIp).toEqual({ S: '203.0.113.5' });
    for (const name of ['otpHash', 'otpSalt', 'otpExpiresAt', 'prevOtpHash', 'prevOtpSalt', 'prevOtpExpiresAt']) expect(item[name]).toBeUndefined();
    expect(item.expiresAt).toEqual({ N: String(now + 86_400_000) });
    expectTtlMatches(item);
    expect(await store.markVerified(key, now + 4, now + 86_400_000, { via: CODE_IAM })).toBe(false);
  });
});

describe('what the EmailVerified event is built from', () => {
  test('the verifying write keeps when (ISO 8601), how and through which API; the submitter stays', async () => {
    const now = Date.now();
    const submitted = freshAddress('store-event');
    receiptOf(await store.createPending(command(submitted, now, issue(submitted, now).otp, POLICY, { submittedBy: 'tenant-key' })));
    expect((await rawItem(submitted))!.submittedBy).toEqual({ S: 'tenant-key' });
    expect(await store.markVerified(submitted, now + 1, now + 86_400_000, { via: { method: 'link', api: 'rpc' } })).toBe(true);
    const item = (await rawItem(submitted))!;
    expect(item.verifiedAtIso).toEqual({ S: new Date(now + 1).toISOString() });
    expect(item.verifiedWith).toEqual({ S: 'link' });
    expect(item.verifiedVia).toEqual({ S: 'rpc' });
    expect(item.submittedBy).toEqual({ S: 'tenant-key' });
    expect(await store.find(submitted)).toMatchObject({ verifiedAt: now + 1, verifiedVia: { method: 'link', api: 'rpc' }, submittedBy: 'tenant-key' });

    // Started without an access key (the IAM side): the submitter is present, and empty.
    const started = freshAddress('store-event');
    receiptOf(await store.createPending(command(started, now, issue(started, now).otp)));
    expect((await rawItem(started))!.submittedBy).toBeUndefined();
    expect(await store.markVerified(started, now + 2, now + 86_400_000, { via: CODE_IAM })).toBe(true);
    expect((await rawItem(started))!.submittedBy).toEqual({ S: '' });
    const record = (await store.find(started))!;
    expect(record.verifiedVia).toEqual(CODE_IAM);
    expect(record.submittedBy).toBeUndefined();
  });
});

describe('replaceSendLog', () => {
  test('when RESEND_MAX_PER_WINDOW changes, the log is refitted and the resend then recorded', async () => {
    const three = { ...POLICY, maxPerWindow: 3 };
    const { key, now } = await created(Date.now(), three);
    expect((await store.find(key))!.sendLog).toEqual([0, 0, now]);
    const at = now + 60_000;
    // Under max 5 the 3-slot log fails the size condition.
    const refused = await store.recordResend(command(key, at, issue(key, at).otp));
    expect(refused).toMatchObject({ kind: 'refused', current: { sendLog: [0, 0, now] } });
    // A stale expectation changes nothing (and does not throw).
    await store.replaceSendLog(key, [0, 0, now + 1], [9, 9, 9, 9, 9]);
    expect((await store.find(key))!.sendLog).toEqual([0, 0, now]);
    await store.replaceSendLog(key, [0, 0, now], [0, 0, 0, 0, now]);
    expect((await store.find(key))!.sendLog).toEqual([0, 0, 0, 0, now]);
    expectTtlMatches(await rawItem(key));
    expect((await store.recordResend(command(key, at, issue(key, at).otp))).kind).toBe('recorded');
    expect((await store.find(key))!.sendLog).toEqual([0, 0, 0, now, at]);
  });

  test('a shrinking max keeps the most recent sends', async () => {
    const { key, now } = await created();
    const two = { ...POLICY, maxPerWindow: 2 };
    await store.replaceSendLog(key, [0, 0, 0, 0, now], [0, now]);
    expect((await store.recordResend(command(key, now + 60_000, issue(key, now).otp, two))).kind).toBe('recorded');
    expect((await store.find(key))!.sendLog).toEqual([now, now + 60_000]);
  });
});

describe('corrupt items', () => {
  async function putRaw(item: Item): Promise<void> {
    await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  }

  function goodItem(key: string, now: number): Item {
    return {
      ...recordKey(key),
      address: { S: key },
      status: { S: 'pending' },
      lang: { S: 'en' },
      createdAt: { N: String(now) },
      updatedAt: { N: String(now) },
      expiresAt: { N: String(now + RETENTION_MS) },
      guesses: { N: '0' },
      otpHash: { S: 'hash' },
      otpSalt: { S: 'salt' },
      otpExpiresAt: { N: String(now + 600_000) },
      sendLog: { L: [0, 0, 0, 0, now - 120_000].map((n) => ({ N: String(n) })) },
      [TTL_ATTRIBUTE]: { N: String(Math.ceil((now + RETENTION_MS) / 1000)) },
    };
  }

  async function corruptError(work: () => Promise<unknown>): Promise<CorruptRecordError> {
    const error = await work().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CorruptRecordError);
    return error as CorruptRecordError;
  }

  test('the hand-written good item is readable (control)', async () => {
    const key = freshAddress('store-good');
    const now = Date.now();
    await putRaw(goodItem(key, now));
    expect((await store.find(key))!.sendLog).toEqual([0, 0, 0, 0, now - 120_000]);
    expect((await store.recordResend(command(key, now, issue(key, now).otp))).kind).toBe('recorded');
  });

  test('sendLog a string: quota-state, from find and from a refused resend', async () => {
    const key = freshAddress('store-corrupt-log');
    const now = Date.now();
    await putRaw({ ...goodItem(key, now), sendLog: { S: 'five sends' } });
    expect((await corruptError(() => store.find(key))).part).toBe('quota-state');
    expect((await corruptError(() => store.recordResend(command(key, now, issue(key, now).otp)))).part).toBe('quota-state');
  });

  test('sendLog with a non-number entry or empty: quota-state', async () => {
    const now = Date.now();
    const a = freshAddress('store-corrupt-log');
    await putRaw({ ...goodItem(a, now), sendLog: { L: [{ N: '0' }, { S: 'x' }] } });
    expect((await corruptError(() => store.find(a))).part).toBe('quota-state');
    const b = freshAddress('store-corrupt-log');
    await putRaw({ ...goodItem(b, now), sendLog: { L: [] } });
    expect((await corruptError(() => store.recordResend(command(b, now, issue(b, now).otp)))).part).toBe('quota-state');
  });

  test('status missing: verification, from find, a refused create, a refused resend and a refused guess', async () => {
    const key = freshAddress('store-corrupt-status');
    const now = Date.now();
    const { status: _status, ...item } = goodItem(key, now);
    await putRaw(item);
    expect((await corruptError(() => store.find(key))).part).toBe('verification');
    expect((await corruptError(() => store.createPending(command(key, now, issue(key, now).otp)))).part).toBe('verification');
    expect((await corruptError(() => store.recordResend(command(key, now, issue(key, now).otp)))).part).toBe('verification');
    expect((await corruptError(() => store.reserveGuess(key, 5, now))).part).toBe('verification');
  });

  test('core attributes of the wrong type: verification', async () => {
    const key = freshAddress('store-corrupt-types');
    const now = Date.now();
    await putRaw({ ...goodItem(key, now), createdAt: { S: 'yesterday' }, lang: { S: 'fr' } });
    const error = await corruptError(() => store.find(key));
    expect(error.part).toBe('verification');
    expect(error.message).toContain(`EMAIL#${key}`);
  });
});
