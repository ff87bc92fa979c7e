/**
 * The pipe as synthesized, against real stream records: the filter pattern and input template
 * are read from the CloudFormation template the stack produces, and applied with EventBridge's
 * documented semantics (local/event-pattern.ts) to the records DynamoDB Local's stream holds
 * after the real store's writes: creates, resends, guesses, verifications that land and ones
 * that are refused, reverts, deletions, other kinds of item, and a second verification after a
 * record expired. Exactly the writes that verify must match, and shape into the event's detail.
 */
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { EmailVerificationStack } from '../../lib/email-verification-stack.js';
import { matchesEventPattern, renderInputTemplate } from '../../local/event-pattern.js';
import { startTableStreamReader, type PipeSourceRecord, type TableStreamReader } from '../../local/table-stream.js';
import { EMAIL_VERIFIED_FILTER_PATTERN, EMAIL_VERIFIED_INPUT_TEMPLATE } from '../../src/adapters/email-verified-event.js';
import { DynamoDbVerificationStore, recordKey } from '../../src/adapters/dynamodb-verification-store.js';
import { PARTITION_KEY } from '../../src/adapters/table-schema.js';
import { OtpIssuer } from '../../src/domain/otp.js';
import type { SendCommand } from '../../src/domain/ports.js';
import { freshAddress } from '../support/fresh-address.js';

type Json = Record<string, any>;

const tableName = process.env.TABLE_NAME!;
const client = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: process.env.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const store = new DynamoDbVerificationStore(client, tableName);
const otps = new OtpIssuer(new TextEncoder().encode('pipe-test-otp-hash-key-0123456789abcdef'), 600);
const POLICY = { cooldownSeconds: 0, maxPerWindow: 5, windowSeconds: 3600 };
const DAY = 86_400_000;

/** The pipe's properties, from the template `cdk synth` would write (no bundling: only the pipe matters). */
function synthesizedPipe(): Json {
  const context = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as Json).context as Json;
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailVerificationStack(app, 'PipeUnderTest', { mailFrom: 'no-reply@example.com', allowUnverifiableSender: true, eventSource: 'com.example.signup' });
  const pipes = Object.values(Template.fromStack(stack).findResources('AWS::Pipes::Pipe'));
  expect(pipes).toHaveLength(1);
  return pipes[0]!.Properties as Json;
}

let pipe: Json;
let filterPattern: unknown;
let inputTemplate: string;
const records: PipeSourceRecord[] = [];
let reader: TableStreamReader;

beforeAll(async () => {
  pipe = synthesizedPipe();
  const filters = pipe.SourceParameters.FilterCriteria.Filters as Json[];
  expect(filters).toHaveLength(1);
  filterPattern = JSON.parse(filters[0]!.Pattern as string);
  inputTemplate = pipe.TargetParameters.InputTemplate as string;
  reader = await startTableStreamReader({
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName,
    startingPosition: 'LATEST',
    pollIntervalMs: 100,
    onRecord: (record) => records.push(record),
  });
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  client.destroy();
});

function command(key: string, now: number, extra: Partial<SendCommand> = {}): SendCommand {
  return { key, address: key, lang: 'en', otp: otps.issue(key, now).stored, policy: POLICY, now, recordExpiresAt: now + 3_600_000, ...extra };
}

/** The stream records of `pk`, in order, once everything written so far has been read. */
async function recordsOf(pk: string): Promise<PipeSourceRecord[]> {
  await reader.caughtUp();
  return records.filter((record) => (record as Json).dynamodb?.Keys?.[PARTITION_KEY]?.S === pk);
}

const selected = (list: PipeSourceRecord[]) => list.filter((record) => matchesEventPattern(filterPattern, record));
const shaped = (record: PipeSourceRecord) => JSON.parse(renderInputTemplate(inputTemplate, record)) as Json;

test('the synthesized filter and template are the ones npm start applies', () => {
  expect(filterPattern).toEqual(EMAIL_VERIFIED_FILTER_PATTERN);
  expect(inputTemplate).toBe(EMAIL_VERIFIED_INPUT_TEMPLATE);
  expect(pipe.TargetParameters.EventBridgeEventBusParameters).toEqual({ DetailType: 'EmailVerified', Source: 'com.example.signup' });
});

test('of a whole pending life, only the write that verifies is selected, and it shapes into the detail', async () => {
  const key = freshAddress('pipe-life');
  const now = Date.now();
  await store.createPending(command(key, now, { submittedBy: 'tenant-key-1', clientIp: '198.51.100.7' }));
  await store.recordResend(command(key, now + 1));
  await store.reserveGuess(key, 5, now + 2);
  // Refused verifications: a code that is not the record's, then (after) a second verify.
  expect(await store.markVerified(key, now + 3, now + DAY, { via: { method: 'code', api: 'iam' }, matchedOtpHash: 'not-a-code-of-this-record' })).toBe(false);
  expect(await store.markVerified(key, now + 4, now + DAY, { via: { method: 'link', api: 'rpc' }, confirmIp: '203.0.113.9' })).toBe(true);
  expect(await store.markVerified(key, now + 5, now + DAY, { via: { method: 'code', api: 'iam' } })).toBe(false);
  // TTL's deletion, as DynamoDB does it: a REMOVE of the verified item.
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: recordKey(key) }));

  const all = await recordsOf(`EMAIL#${key}`);
  expect(all.map((record) => (record as Json).eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'MODIFY', 'REMOVE']);
  const matched = selected(all);
  expect(matched).toEqual([all[3]]);
  expect(shaped(matched[0]!)).toEqual({
    email: key,
    verifiedAt: new Date(now + 4).toISOString(),
    method: 'link',
    api: 'rpc',
    accessKeyId: 'tenant-key-1',
    lang: 'en',
  });
  // Nothing secret reaches the detail, whatever the record held.
  expect(JSON.stringify(shaped(matched[0]!))).not.toMatch(/otp|salt|hash|198\.51|203\.0/i);
});

test('a reverted first send, an IAM-started record, and other kinds of item', async () => {
  const reverted = freshAddress('pipe-revert');
  const now = Date.now();
  const outcome = await store.createPending(command(reverted, now));
  if (outcome.kind !== 'recorded') throw new Error('not recorded');
  await store.revertSend(outcome.receipt);
  expect(selected(await recordsOf(`EMAIL#${reverted}`))).toEqual([]);

  const iam = freshAddress('pipe-iam');
  await store.createPending(command(iam, now, { lang: 'zh' }));
  await store.markVerified(iam, now + 1, now + DAY, { via: { method: 'code', api: 'iam' } });
  const [event] = selected(await recordsOf(`EMAIL#${iam}`)).map(shaped);
  expect(event).toEqual({ email: iam, verifiedAt: new Date(now + 1).toISOString(), method: 'code', api: 'iam', accessKeyId: '', lang: 'zh' });

  // An item of another kind going from pending to verified is not an address being verified.
  const other = { [PARTITION_KEY]: { S: `NONCE#${iam}` } };
  await client.send(new PutItemCommand({ TableName: tableName, Item: { ...other, status: { S: 'pending' } } }));
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: other,
      UpdateExpression: 'SET #s = :v',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':v': { S: 'verified' } },
    }),
  );
  const otherRecords = await recordsOf(`NONCE#${iam}`);
  expect(otherRecords).toHaveLength(2);
  expect(selected(otherRecords)).toEqual([]);
});

test('verified, expired, started again and verified again: one event per verification, each its own verifiedAt', async () => {
  const key = freshAddress('pipe-again');
  const now = Date.now();
  await store.createPending(command(key, now, { submittedBy: 'tenant-a' }));
  await store.markVerified(key, now + 1, now + 1_000, { via: { method: 'link', api: 'rpc' } });
  // The verified record outlived its retention (TTL not yet run): a new submit replaces it.
  const later = now + 2_000;
  expect((await store.createPending(command(key, later, { submittedBy: 'tenant-b' }))).kind).toBe('recorded');
  await store.markVerified(key, later + 1, later + DAY, { via: { method: 'code', api: 'iam' } });

  const events = selected(await recordsOf(`EMAIL#${key}`)).map(shaped);
  expect(events).toEqual([
    expect.objectContaining({ verifiedAt: new Date(now + 1).toISOString(), accessKeyId: 'tenant-a', method: 'link' }),
    expect.objectContaining({ verifiedAt: new Date(later + 1).toISOString(), accessKeyId: 'tenant-b', method: 'code' }),
  ]);
});
