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
  SendLogState,
  SendOutcome,
  SendUndo,
  UndoOutcome,
  VerificationStore,
} from '../domain/ports.js';
import { emptySendLog, quotaEdges, recordInSendLog, recordInSentCodes } from '../domain/quota.js';
import type { TimeBudget } from '../domain/time-budget.js';
import {
  CorruptRecordError,
  type SentCode,
  type StoredOtp,
  type VerificationChannel,
  type VerificationRecord,
} from '../domain/verification-record.js';
import { boundedCall } from './bounded-call.js';
import { PARTITION_KEY, RECORD_ATTRIBUTES, RECORD_KEY_PREFIX, TTL_ATTRIBUTE } from './table-schema.js';

type Item = Record<string, AttributeValue>;

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const numberList = (values: readonly number[]): AttributeValue => ({ L: values.map(n) });
const ttlOf = (epochMs: number): AttributeValue => n(Math.ceil(epochMs / 1000));

/** A logged send's code: `{h, s, e, k, g}`, or NULL for an empty slot. */
function sentCodeValue(code: SentCode | undefined): AttributeValue {
  if (code === undefined) return { NULL: true };
  return {
    M: {
      h: s(code.otp.hash),
      s: s(code.otp.salt),
      e: n(code.otp.expiresAt),
      k: { BOOL: code.keptPrevious },
      g: n(code.guessesBefore),
    },
  };
}
const sentCodeList = (codes: readonly (SentCode | undefined)[]): AttributeValue => ({ L: codes.map(sentCodeValue) });

function sentCodeOf(value: AttributeValue): SentCode | undefined {
  if (value.NULL) return undefined;
  const fields = value.M;
  const hash = fields?.h?.S;
  const salt = fields?.s?.S;
  const expiresAt = numberOf(fields?.e);
  const guessesBefore = numberOf(fields?.g);
  const keptPrevious = fields?.k?.BOOL;
  if (!hash || !salt || expiresAt === undefined || guessesBefore === undefined || keptPrevious === undefined) {
    throw new Error('malformed logged code');
  }
  return { otp: { hash, salt, expiresAt }, keptPrevious, guessesBefore };
}

export function recordKey(addressKey: string): Item {
  return { [PARTITION_KEY]: s(`${RECORD_KEY_PREFIX}${addressKey}`) };
}

/** Verification records in the shared table, one item per address. */
export class DynamoDbVerificationStore implements VerificationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async createPending(command: SendCommand, budget?: TimeBudget): Promise<SendOutcome> {
    const sent: SentCode = { otp: command.otp, keptPrevious: false, guessesBefore: 0 };
    const sendLog = recordInSendLog(emptySendLog(command.policy), command.policy, command.now);
    const sentCodes = recordInSentCodes([], command.policy, sent);
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
      sentCodes: sentCodeList(sentCodes),
      expiresAt: n(command.recordExpiresAt),
      [TTL_ATTRIBUTE]: ttlOf(command.recordExpiresAt),
      ...(command.clientIp ? { lastSendIp: s(command.clientIp) } : {}),
      ...(command.submittedBy ? { [RECORD_ATTRIBUTES.submittedBy]: s(command.submittedBy) } : {}),
    };
    const put = new PutItemCommand({
      TableName: this.tableName,
      Item: item,
      // An expired item still present (TTL deletes late) counts as absent.
      ConditionExpression: 'attribute_not_exists(#pk) OR expiresAt <= :now',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':now': n(command.now) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    try {
      await this.call('PutItem', budget, (abortSignal) => this.client.send(put, { abortSignal }));
      return {
        kind: 'recorded',
        receipt: { key: command.key, sentAt: command.now, sent, before: undefined, after: { sendLog, sentCodes } },
      };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async recordResend(command: SendCommand, budget?: TimeBudget): Promise<SendOutcome> {
    let attributes: Item | undefined;
    try {
      const result = await this.call('UpdateItem', budget, (abortSignal) =>
        this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...resendUpdate(command) }), { abortSignal }),
      );
      attributes = result.Attributes;
    } catch (error) {
      return refusedOrThrow(error);
    }
    // The condition held, so the item had a full log and codes: what the send left follows from them.
    const before = decodeRecord(attributes ?? {});
    const sent: SentCode = { otp: command.otp, keptPrevious: command.dropPreviousCode !== true, guessesBefore: guessesBefore(command) };
    const after: SendLogState = {
      sendLog: recordInSendLog(before.sendLog, command.policy, command.now),
      sentCodes: recordInSentCodes(before.sentCodes ?? [], command.policy, sent),
    };
    // The code mailed before stays live as the previous one unless this send retired it.
    const keptUntil = command.dropPreviousCode ? undefined : before.currentOtp?.expiresAt;
    return {
      kind: 'recorded',
      receipt: { key: command.key, sentAt: command.now, sent, before, after },
      ...(keptUntil !== undefined ? { previousCodeExpiresAt: keptUntil } : {}),
    };
  }

  async reshapeSendLog(
    key: string,
    expected: { readonly sendLog: readonly number[]; readonly sentCodes: SendLogState['sentCodes'] | undefined },
    replacement: SendLogState,
    budget?: TimeBudget,
  ): Promise<void> {
    try {
      await this.updateRecord(
        key,
        {
          UpdateExpression: 'SET sendLog = :log, sentCodes = :codes',
          ConditionExpression:
            'sendLog = :expectedLog AND ' +
            (expected.sentCodes ? 'sentCodes = :expectedCodes' : 'attribute_not_exists(sentCodes)'),
          ExpressionAttributeValues: {
            ':expectedLog': numberList(expected.sendLog),
            ...(expected.sentCodes ? { ':expectedCodes': sentCodeList(expected.sentCodes) } : {}),
            ':log': numberList(replacement.sendLog),
            ':codes': sentCodeList(replacement.sentCodes),
          },
        },
        budget,
      );
    } catch (error) {
      // Someone else reshaped or wrote it first: the retry that follows sees their log.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async undoSend(undo: SendUndo, budget?: TimeBudget): Promise<UndoOutcome> {
    const values: Item = {
      ':seenLog': numberList(undo.seen.sendLog),
      ':seenCodes': sentCodeList(undo.seen.sentCodes),
      ':pending': s('pending'),
    };
    const condition = '#status = :pending AND sendLog = :seenLog AND sentCodes = :seenCodes';
    const names: Record<string, string> = { '#status': 'status' };
    try {
      // Both kinds of undo are one write on the item under the same condition.
      const conditional = {
        TableName: this.tableName,
        Key: recordKey(undo.key),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      if (undo.change.kind === 'delete') {
        await this.call('DeleteItem', budget, (abortSignal) => this.client.send(new DeleteItemCommand(conditional), { abortSignal }));
        return { kind: 'undone' };
      }
      const change = undo.change;
      const sets = ['sendLog = :log', 'sentCodes = :codes'];
      const removes: string[] = [];
      values[':log'] = numberList(change.sendLog);
      values[':codes'] = sentCodeList(change.sentCodes);
      if (change.liveCodes) {
        const { current, previous } = change.liveCodes;
        sets.push('otpHash = :hash', 'otpSalt = :salt', 'otpExpiresAt = :otpExpiresAt');
        Object.assign(values, { ':hash': s(current.hash), ':salt': s(current.salt), ':otpExpiresAt': n(current.expiresAt) });
        if (previous) {
          sets.push('prevOtpHash = :prevHash', 'prevOtpSalt = :prevSalt', 'prevOtpExpiresAt = :prevOtpExpiresAt');
          Object.assign(values, {
            ':prevHash': s(previous.hash),
            ':prevSalt': s(previous.salt),
            ':prevOtpExpiresAt': n(previous.expiresAt),
          });
        } else {
          removes.push('prevOtpHash', 'prevOtpSalt', 'prevOtpExpiresAt');
        }
      }
      if (change.addGuesses > 0) {
        sets.push('guesses = guesses + :addGuesses');
        values[':addGuesses'] = n(change.addGuesses);
      }
      if (change.restore) {
        const { restore } = change;
        sets.push('lang = :lang', 'updatedAt = :updatedAt', 'expiresAt = :expiresAt', '#ttl = :ttl');
        names['#ttl'] = TTL_ATTRIBUTE;
        Object.assign(values, {
          ':lang': s(restore.lang),
          ':updatedAt': n(restore.updatedAt),
          ':expiresAt': n(restore.expiresAt),
          ':ttl': ttlOf(restore.expiresAt),
        });
        if (restore.lastSendIp) {
          sets.push('lastSendIp = :ip');
          values[':ip'] = s(restore.lastSendIp);
        } else {
          removes.push('lastSendIp');
        }
      }
      const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
      await this.call('UpdateItem', budget, (abortSignal) =>
        this.client.send(new UpdateItemCommand({ ...conditional, UpdateExpression: update }), { abortSignal }),
      );
      return { kind: 'undone' };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async reserveGuess(key: string, maxGuesses: number, now: number, budget?: TimeBudget): Promise<GuessOutcome> {
    const update = new UpdateItemCommand({
      TableName: this.tableName,
      Key: recordKey(key),
      UpdateExpression: 'SET guesses = guesses + :one',
      ConditionExpression: 'expiresAt > :now AND #status = :pending AND guesses < :max',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':one': n(1), ':now': n(now), ':pending': s('pending'), ':max': n(maxGuesses) },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    try {
      const result = await this.call('UpdateItem', budget, (abortSignal) => this.client.send(update, { abortSignal }));
      return { kind: 'reserved', record: decodeRecord(result.Attributes ?? {}) };
    } catch (error) {
      return refusedOrThrow(error);
    }
  }

  async markVerified(
    key: string,
    now: number,
    verifiedExpiresAt: number,
    options: MarkVerifiedOptions,
    budget?: TimeBudget,
  ): Promise<boolean> {
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
      await this.updateRecord(
        key,
        {
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
        },
        budget,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async find(key: string, budget?: TimeBudget): Promise<VerificationRecord | undefined> {
    const result = await this.call('GetItem', budget, (abortSignal) =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: recordKey(key), ConsistentRead: true }), {
        abortSignal,
      }),
    );
    return result.Item ? decodeRecord(result.Item) : undefined;
  }

  private call<T>(operation: string, budget: TimeBudget | undefined, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return boundedCall('dynamodb', `DynamoDB ${operation}`, budget, send);
  }

  /** One conditional UpdateItem on the record of `key`. */
  private updateRecord(key: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>, budget: TimeBudget | undefined) {
    return this.call('UpdateItem', budget, (abortSignal) =>
      this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: recordKey(key), ...input }), { abortSignal }),
    );
  }
}

/**
 * A resend as one conditional update: the quota check, recordInSendLog on the log and its codes,
 * the new code (the current one kept as previous unless dropped) and the new expiry. Returns the
 * item as it was, for the receipt, or on refusal for the explanation. (The bench issues this same
 * request directly, as the "bare UpdateItem" the resend's latency is compared with.)
 */
export function resendUpdate(command: SendCommand): Omit<UpdateItemCommandInput, 'TableName'> {
  const slots = command.policy.maxPerWindow;
  const last = slots - 1;
  const { cooldownEdge, windowEdge } = quotaEdges(command.policy, command.now);
  const keepPrevious = command.dropPreviousCode !== true;
  // Shift the log and its codes one slot left and write this send last: every operand reads the
  // item as it was before this update, so this is one atomic step. Short names keep the
  // expression inside DynamoDB's 4 KB for the largest RESEND_MAX_PER_WINDOW.
  const shift = Array.from({ length: last }, (_, i) => `#l[${i}]=#l[${i + 1}],#c[${i}]=#c[${i + 1}]`);
  const sets = [
    ...shift,
    `#l[${last}]=:now`,
    `#c[${last}]=:sent`,
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
      'size(#l) = :slots',
      'size(#c) = :slots',
      '#l[0] <= :windowEdge',
      `#l[${last}] <= :cooldownEdge`,
      keepPrevious ? 'guesses = :zero' : 'guesses = :guesses',
    ].join(' AND '),
    ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE, '#l': 'sendLog', '#c': 'sentCodes' },
    ExpressionAttributeValues: {
      ':now': n(command.now),
      ':pending': s('pending'),
      ':slots': n(slots),
      ':windowEdge': n(windowEdge),
      ':cooldownEdge': n(cooldownEdge),
      ':hash': s(command.otp.hash),
      ':salt': s(command.otp.salt),
      ':otpExpiresAt': n(command.otp.expiresAt),
      ':sent': sentCodeValue({ otp: command.otp, keptPrevious: keepPrevious, guessesBefore: guessesBefore(command) }),
      ':zero': n(0),
      ...(keepPrevious ? {} : { ':guesses': n(guessesBefore(command)) }),
      ':lang': s(command.lang),
      ':expiresAt': n(command.recordExpiresAt),
      ':ttl': ttlOf(command.recordExpiresAt),
      ...(command.clientIp ? { ':ip': s(command.clientIp) } : {}),
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The guesses a send resets: none when it keeps the previous code, else those it was told of. */
function guessesBefore(command: SendCommand): number {
  return command.dropPreviousCode === true ? (command.expectedGuesses ?? 0) : 0;
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
  let sentCodes: (SentCode | undefined)[] | undefined;
  if (item.sentCodes !== undefined) {
    try {
      sentCodes = (item.sentCodes.L ?? failWith('not a list')).map(sentCodeOf);
    } catch (error) {
      throw new CorruptRecordError('quota-state', `item ${pk} has unreadable logged codes (${(error as Error).message})`);
    }
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
    ...(sentCodes ? { sentCodes } : {}),
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

function failWith(message: string): never {
  throw new Error(message);
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  if (value?.N === undefined) return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}
