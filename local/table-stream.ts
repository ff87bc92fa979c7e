/**
 * Reads a table's DynamoDB stream from DynamoDB Local, the way an EventBridge pipe reads it in
 * AWS: every shard, in order, each record handed over as the pipe sees it. Used by `npm start`
 * (the EmailVerified events, verified-events.ts) and by the tests that hold the pipe's filter
 * and template to real records.
 *
 * Local only, like @aws-sdk/client-dynamodb-streams (a dev dependency): the functions never
 * import this.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { FALLBACK_REGION } from '../src/settings.js';

/** A stream record as a pipe (or Lambda) receives it: plain JSON. */
export type PipeSourceRecord = Record<string, unknown>;

/**
 * The SDK's stream record as a pipe sees it: the creation time in epoch seconds rather than a
 * Date, and the stream's ARN as `eventSourceARN`.
 */
function pipeSourceRecord(record: StreamRecord, streamArn: string): PipeSourceRecord {
  const { dynamodb, ...rest } = record;
  const created = dynamodb?.ApproximateCreationDateTime;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      ...(dynamodb ? { dynamodb: { ...dynamodb, ...(created ? { ApproximateCreationDateTime: created.getTime() / 1000 } : {}) } } : {}),
      eventSourceARN: streamArn,
    }),
  ) as PipeSourceRecord;
}

export interface TableStreamReaderOptions {
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly region?: string;
  /** Each record, in stream order. What it throws goes to onError, and the reader moves on. */
  readonly onRecord: (record: PipeSourceRecord) => void;
  /** A failed poll, or a record onRecord failed on; the reader keeps going. Default: ignored. */
  readonly onError?: (error: unknown) => void;
  /**
   * Where to begin in the shards open at start: `TRIM_HORIZON` (default, as the pipe does: every
   * record still in the stream) or `LATEST` (only what is written from now on). Shards that
   * appear later are read from their start.
   */
  readonly startingPosition?: Extract<ShardIteratorType, 'TRIM_HORIZON' | 'LATEST'>;
  readonly pollIntervalMs?: number;
}

export interface TableStreamReader {
  readonly streamArn: string;
  /** Resolves once every record written before the call has been handed over. */
  caughtUp(): Promise<void>;
  /** Stops polling, waits for a poll in flight, and closes the client; safe to call twice. */
  stop(): Promise<void>;
}

interface ShardCursor {
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  /** A closed shard read to its end: nothing more will come. */
  done: boolean;
}

const RETRY_AFTER_ERROR_MS = 1_000;

/** Waits `ms`, or less if `signal` aborts first. */
const pause = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

/** Starts reading the table's stream; throws if the table has no stream. */
export async function startTableStreamReader(options: TableStreamReaderOptions): Promise<TableStreamReader> {
  const config: DynamoDBClientConfig = {
    endpoint: options.dynamodbEndpoint,
    region: options.region ?? (process.env.AWS_REGION || FALLBACK_REGION),
    // DynamoDB Local accepts any credentials; these keep the SDK from looking for real ones.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const streamArn = await latestStreamArn(config, options.tableName);
  const streams = new DynamoDBStreamsClient(config);
  const abort = new AbortController();
  const signal = { abortSignal: abort.signal };
  const shards = new Map<string, ShardCursor>();
  const waiters: Array<{ afterRound: number; resolve: () => void }> = [];
  let round = 0;

  const takeIterator = async (shardId: string, cursor: ShardCursor, type: ShardIteratorType) => {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(cursor.lastSequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequenceNumber }
          : { ShardIteratorType: type }),
      }),
      signal,
    );
    cursor.iterator = ShardIterator;
    cursor.done = ShardIterator === undefined;
  };

  /** Reads one shard up to now (an open shard answers an empty page there) or to its end. */
  const readShard = async (shardId: string, cursor: ShardCursor) => {
    while (cursor.iterator && !abort.signal.aborted) {
      let page;
      try {
        page = await streams.send(new GetRecordsCommand({ ShardIterator: cursor.iterator }), signal);
      } catch (error) {
        // An iterator lives 15 minutes: take a new one after the last record read.
        if (!(error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException)) throw error;
        await takeIterator(shardId, cursor, 'TRIM_HORIZON');
        continue;
      }
      const records = page.Records ?? [];
      for (const record of records) {
        cursor.lastSequenceNumber = record.dynamodb?.SequenceNumber ?? cursor.lastSequenceNumber;
        try {
          options.onRecord(pipeSourceRecord(record, streamArn));
        } catch (error) {
          options.onError?.(error);
        }
      }
      cursor.iterator = page.NextShardIterator;
      if (cursor.iterator === undefined) cursor.done = true;
      if (records.length === 0) return;
    }
  };

  const pollOnce = async (firstRound: boolean) => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }), signal);
    for (const { ShardId: shardId } of StreamDescription?.Shards ?? []) {
      if (!shardId) continue;
      let cursor = shards.get(shardId);
      if (!cursor) {
        cursor = { iterator: undefined, lastSequenceNumber: undefined, done: false };
        shards.set(shardId, cursor);
        await takeIterator(shardId, cursor, firstRound ? (options.startingPosition ?? 'TRIM_HORIZON') : 'TRIM_HORIZON');
      }
      if (!cursor.done) await readShard(shardId, cursor);
    }
  };

  // The first round runs before start returns, so a LATEST reader sees everything written after.
  try {
    await pollOnce(true);
  } catch (error) {
    streams.destroy();
    throw error;
  }
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        await pause(options.pollIntervalMs ?? 250, abort.signal);
        if (abort.signal.aborted) break;
        await pollOnce(false);
        round += 1;
        for (const waiter of waiters.splice(0)) {
          if (round > waiter.afterRound) waiter.resolve();
          else waiters.push(waiter);
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        options.onError?.(error);
        await pause(RETRY_AFTER_ERROR_MS, abort.signal);
      }
    }
    for (const waiter of waiters.splice(0)) waiter.resolve();
  })();

  let stopping: Promise<void> | undefined;
  return {
    streamArn,
    // The round after the one under way started after this call, so it sees every earlier write.
    caughtUp: () =>
      abort.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ afterRound: round + 1, resolve })),
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await loop;
        streams.destroy();
      })()),
  };
}

async function latestStreamArn(config: DynamoDBClientConfig, tableName: string): Promise<string> {
  const client = new DynamoDBClient(config);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.LatestStreamArn || !Table.StreamSpecification?.StreamEnabled) {
      throw new Error(`table ${tableName} has no stream to read`);
    }
    return Table.LatestStreamArn;
  } finally {
    client.destroy();
  }
}
