import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Lang } from '../domain/lang.js';
import type {
  GuessOutcome,
  MarkVerifiedOptions,
  SendCommand,
  SendOutcome,
  SendReceipt,
  VerificationStore,
} from '../domain/ports.js';
import { emptySendLog, quotaEdges, recordInSendLog } from '../domain/quota.js';
import {
  CorruptRecordError,
  type StoredOtp,
  type VerificationChannel,
  type VerificationRecord,
} from '../domain/verification-record.js';
import { PARTITION_KEY, RECORD_ATTRIBUTES, RECORD_KEY_PREFIX, TTL_ATTRIBUTE } from './table-schema.js';

type Item = Record<string, AttributeValue>;

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const numberList = (values: readonly number[]): AttributeValue => ({ L: values.map(n) });
const ttlOf = (epochMs: number): AttributeValue => n(Math.ceil(epochMs / 1000));

export function recordKey(addressKey: string): Item {
  return { [PARTITION_KEY]: s(`${RECORD_KEY_PREFIX}${addressKey}`) };
}

/** Verification records in the shared table, one item per address. */
export class DynamoDbVerificationStore implements VerificationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async createPending(command: SendCommand): Promise<SendOutcome> {
    const sendLog = recordInSendLog(emptySendLog(command.policy), command.policy, command.now);
    const item: Item = {
      ...recordKey(command.key),
      address: s(command.address),
      status: s('pending'),
      lang: s(command.lang),
      createdAt: n(command.now),
      updatedAt: n(command.now),
      otpHash: s(command.otp.hash),
      otpSalt: s(command.otp.salt),
      otpExpiresAt: n(command.otp.expiresAt),
      guesses: n(0),
      sendLog: numberList(sendLog),
      expiresAt: n(command.recordExpiresAt),
      [TTL_ATTRIBUTE]: ttlOf(command.recordExpiresAt),
      ...(command.clientIp ? { lastSendIp: s(command.clientIp) } : {}),
      ...(command.submittedBy ? { [RECORD_ATTRIBUTES.submittedBy]: s(command.submittedBy) } : {}),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          // An expired item still present (TTL deletes late) counts as absent.
          ConditionExpression: 'attribute_not_exists(#pk) OR expiresAt <= :now',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          ExpressionAttributeValues: { ':now': n(command.now) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'recorded', receipt: { key: command.key, sentOtpHash: command.otp.hash, before: undefined } };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async recordResend(command: SendCommand): Promise<SendOutcome> {
    try {
      const result = await this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...resendUpdate(command) }));
      const keptUntil = command.dropPreviousCode ? undefined : numberOf(result.Attributes?.otpExpiresAt);
      return {
        kind: 'recorded',
        receipt: { key: command.key, sentOtpHash: command.otp.hash, before: result.Attributes },
        ...(keptUntil !== undefined ? { previousCodeExpiresAt: keptUntil } : {}),
      };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async replaceSendLog(key: string, expected: readonly number[], replacement: readonly number[]): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: recordKey(key),
          UpdateExpression: 'SET sendLog = :replacement',
          ConditionExpression: 'sendLog = :expected',
          ExpressionAttributeValues: { ':expected': numberList(expected), ':replacement': numberList(replacement) },
        }),
      );
    } catch (error) {
      // Someone else reshaped or wrote it first: the retry that follows sees their log.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async revertSend(receipt: SendReceipt): Promise<void> {
    // Only while our code is still the current one: a newer send must never be rolled back.
    const condition = {
      ConditionExpression: 'otpHash = :sent',
      ExpressionAttributeValues: { ':sent': s(receipt.sentOtpHash) },
    };
    try {
      if (receipt.before === undefined) {
        await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: recordKey(receipt.key), ...condition }));
      } else {
        await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: receipt.before as Item, ...condition }));
      }
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async reserveGuess(key: string, maxGuesses: number, now: number): Promise<GuessOutcome> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: recordKey(key),
          UpdateExpression: 'SET guesses = guesses + :one',
          ConditionExpression: 'expiresAt > :now AND #status = :pending AND guesses < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': n(1), ':now': n(now), ':pending': s('pending'), ':max': n(maxGuesses) },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'reserved', record: decodeRecord(result.Attributes ?? {}) };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async markVerified(key: string, now: number, verifiedExpiresAt: number, options: MarkVerifiedOptions): Promise<boolean> {
    const conditions = ['expiresAt > :now', '#status = :pending'];
    const values: Item = {
      ':now': n(now),
      ':pending': s('pending'),
      ':verified': s('verified'),
      ':keep': n(verifiedExpiresAt),
      ':ttl': ttlOf(verifiedExpiresAt),
      ':iso': s(new Date(now).toISOString()),
      ':method': s(options.via.method),
      ':api': s(options.via.api),
      ':nobody': s(''),
    };
    if (options.matchedOtpHash) {
      conditions.push('(otpHash = :matched OR prevOtpHash = :matched)');
      values[':matched'] = s(options.matchedOtpHash);
    }
    // What the EmailVerified event carries is written here, in the one conditional write that
    // verifies: the stream then has all of it, and the request pays nothing more. The submitter
    // is made present (empty if unknown) so the event's template always finds it.
    const sets = [
      '#status = :verified',
      'verifiedAt = :now',
      '#verifiedAtIso = :iso',
      '#verifiedWith = :method',
      '#verifiedVia = :api',
      '#submittedBy = if_not_exists(#submittedBy, :nobody)',
      'updatedAt = :now',
      'expiresAt = :keep',
      '#ttl = :ttl',
    ];
    if (options.confirmIp) {
      sets.push('confirmIp = :ip');
      values[':ip'] = s(options.confirmIp);
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: recordKey(key),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE otpHash, otpSalt, otpExpiresAt, prevOtpHash, prevOtpSalt, prevOtpExpiresAt`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: {
            '#status': 'status',
            '#ttl': TTL_ATTRIBUTE,
            '#verifiedAtIso': RECORD_ATTRIBUTES.verifiedAtIso,
            '#verifiedWith': RECORD_ATTRIBUTES.verifiedWith,
            '#verifiedVia': RECORD_ATTRIBUTES.verifiedVia,
            '#submittedBy': RECORD_ATTRIBUTES.submittedBy,
          },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async find(key: string): Promise<VerificationRecord | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: recordKey(key), ConsistentRead: true }),
    );
    return result.Item ? decodeRecord(result.Item) : undefined;
  }
}

/**
 * A resend as one conditional update: the quota check, recordInSendLog on the log, the new code
 * (the current one kept as previous unless dropped) and the new expiry. Returns the item as it
 * was, for the receipt, or on refusal for the explanation. (The bench issues this same request
 * directly, as the "bare UpdateItem" the resend's latency is compared with.)
 */
export function resendUpdate(command: SendCommand): Omit<UpdateItemCommandInput, 'TableName'> {
  const slots = command.policy.maxPerWindow;
  const last = slots - 1;
  const { cooldownEdge, windowEdge } = quotaEdges(command.policy, command.now);
  // Shift the log one slot left and write `now` last: every operand reads the item as it was
  // before this update, so this is one atomic step.
  const shift = Array.from({ length: last }, (_, i) => `sendLog[${i}] = sendLog[${i + 1}]`);
  const keepPrevious = command.dropPreviousCode !== true;
  const sets = [
    ...shift,
    `sendLog[${last}] = :now`,
    ...(keepPrevious ? ['prevOtpHash = otpHash', 'prevOtpSalt = otpSalt', 'prevOtpExpiresAt = otpExpiresAt'] : []),
    'otpHash = :hash',
    'otpSalt = :salt',
    'otpExpiresAt = :otpExpiresAt',
    'guesses = :zero',
    'lang = :lang',
    'updatedAt = :now',
    'expiresAt = :expiresAt',
    '#ttl = :ttl',
    ...(command.clientIp ? ['lastSendIp = :ip'] : []),
  ];
  return {
    Key: recordKey(command.key),
    UpdateExpression: `SET ${sets.join(', ')}` + (keepPrevious ? '' : ' REMOVE prevOtpHash, prevOtpSalt, prevOtpExpiresAt'),
    ConditionExpression: [
      'expiresAt > :now',
      '#status = :pending',
      'attribute_exists(otpHash)',
      'size(sendLog) = :slots',
      'sendLog[0] <= :windowEdge',
      `sendLog[${last}] <= :cooldownEdge`,
      ...(keepPrevious ? ['guesses = :zero'] : []),
    ].join(' AND '),
    ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':now': n(command.now),
      ':pending': s('pending'),
      ':slots': n(slots),
      ':windowEdge': n(windowEdge),
      ':cooldownEdge': n(cooldownEdge),
      ':hash': s(command.otp.hash),
      ':salt': s(command.otp.salt),
      ':otpExpiresAt': n(command.otp.expiresAt),
      ':zero': n(0),
      ':lang': s(command.lang),
      ':expiresAt': n(command.recordExpiresAt),
      ':ttl': ttlOf(command.recordExpiresAt),
      ...(command.clientIp ? { ':ip': s(command.clientIp) } : {}),
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

function refusedOrThrow(error: unknown): { kind: 'refused'; current: VerificationRecord | undefined } {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return { kind: 'refused', current: error.Item ? decodeRecord(error.Item) : undefined };
}

/** Reads an item back as a record; a part that cannot be read is reported as that part. */
export function decodeRecord(item: Item): VerificationRecord {
  const pk = item[PARTITION_KEY]?.S;
  const address = item.address?.S;
  const status = item.status?.S;
  const lang = item.lang?.S;
  const createdAt = numberOf(item.createdAt);
  const updatedAt = numberOf(item.updatedAt);
  const expiresAt = numberOf(item.expiresAt);
  if (
    !pk?.startsWith(RECORD_KEY_PREFIX) ||
    address === undefined ||
    (status !== 'pending' && status !== 'verified') ||
    (lang !== 'en' && lang !== 'zh') ||
    createdAt === undefined ||
    updatedAt === undefined ||
    expiresAt === undefined
  ) {
    throw new CorruptRecordError('verification', `item ${pk ?? '(no key)'} lacks its core attributes`);
  }
  const sendLog = item.sendLog?.L?.map(numberOf);
  if (!sendLog || sendLog.length === 0 || sendLog.some((entry) => entry === undefined)) {
    throw new CorruptRecordError('quota-state', `item ${pk} has no readable send log`);
  }
  const verifiedAt = numberOf(item.verifiedAt);
  const verifiedVia = channelOf(item);
  const submittedBy = item[RECORD_ATTRIBUTES.submittedBy]?.S;
  const currentOtp = otpOf(item, 'otp');
  const previousOtp = otpOf(item, 'prevOtp');
  if (status === 'pending' && !currentOtp) {
    throw new CorruptRecordError('verification', `pending item ${pk} has no current code`);
  }
  return {
    key: pk.slice(RECORD_KEY_PREFIX.length),
    address,
    status,
    lang: lang as Lang,
    createdAt,
    updatedAt,
    expiresAt,
    guesses: numberOf(item.guesses) ?? 0,
    sendLog: sendLog as number[],
    ...(verifiedAt !== undefined ? { verifiedAt } : {}),
    ...(verifiedVia ? { verifiedVia } : {}),
    ...(submittedBy ? { submittedBy } : {}),
    ...(currentOtp ? { currentOtp } : {}),
    ...(previousOtp ? { previousOtp } : {}),
    ...(item.lastSendIp?.S ? { lastSendIp: item.lastSendIp.S } : {}),
    ...(item.confirmIp?.S ? { confirmIp: item.confirmIp.S } : {}),
  };
}

function channelOf(item: Item): VerificationChannel | undefined {
  const method = item[RECORD_ATTRIBUTES.verifiedWith]?.S;
  const api = item[RECORD_ATTRIBUTES.verifiedVia]?.S;
  if ((method !== 'code' && method !== 'link') || (api !== 'iam' && api !== 'rpc')) return undefined;
  return { method, api };
}

function otpOf(item: Item, prefix: 'otp' | 'prevOtp'): StoredOtp | undefined {
  const hash = item[`${prefix}Hash`]?.S;
  const salt = item[`${prefix}Salt`]?.S;
  const expiresAt = numberOf(item[`${prefix}ExpiresAt`]);
  return hash && salt && expiresAt !== undefined ? { hash, salt, expiresAt } : undefined;
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  if (value?.N === undefined) return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}
