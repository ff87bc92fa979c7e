/**
 * The EmailVerified event: what the stack's pipe (lib/constructs/verified-events.ts) and the
 * local stream reader (local/verified-events.ts) both build from the table's stream, declared
 * once so the two cannot drift. Nothing here runs in a Lambda function: the handlers only write
 * the record, and the stream carries it on.
 */
import type { Lang } from '../domain/lang.js';
import type { VerificationChannel } from '../domain/verification-record.js';
import { PARTITION_KEY, RECORD_ATTRIBUTES, RECORD_KEY_PREFIX } from './table-schema.js';

export const EMAIL_VERIFIED_DETAIL_TYPE = 'EmailVerified';

/** The event's `detail`. Never a code, a code's hash or a token. */
export interface EmailVerifiedDetail {
  /** The address as mail went to it (local part as given, domain lower-cased). */
  readonly email: string;
  /** ISO 8601, UTC, milliseconds: the instant of the write that verified it. */
  readonly verifiedAt: string;
  readonly method: VerificationChannel['method'];
  readonly api: VerificationChannel['api'];
  /** The RPC access key whose submit created the verification; empty when started through the IAM side. */
  readonly accessKeyId: string;
  /** The language the address's mails were written in. */
  readonly lang: Lang;
}

/**
 * The pipe's filter, an EventBridge event pattern over the stream record: a verification record
 * whose status goes from pending to verified. Only the one conditional write that verifies does
 * that, so resends, guesses, retries of a verify and TTL deletions match nothing. Both images
 * present means a MODIFY.
 */
export const EMAIL_VERIFIED_FILTER_PATTERN = {
  dynamodb: {
    Keys: { [PARTITION_KEY]: { S: [{ prefix: RECORD_KEY_PREFIX }] } },
    OldImage: { [RECORD_ATTRIBUTES.status]: { S: ['pending'] } },
    NewImage: { [RECORD_ATTRIBUTES.status]: { S: ['verified'] } },
  },
} as const;

/** Which string attribute of the new image each detail field comes from. */
const DETAIL_ATTRIBUTES: Readonly<Record<keyof EmailVerifiedDetail, string>> = {
  email: RECORD_ATTRIBUTES.address,
  verifiedAt: RECORD_ATTRIBUTES.verifiedAtIso,
  method: RECORD_ATTRIBUTES.verifiedWith,
  api: RECORD_ATTRIBUTES.verifiedVia,
  accessKeyId: RECORD_ATTRIBUTES.submittedBy,
  lang: RECORD_ATTRIBUTES.lang,
};

/**
 * The pipe's input template: a JSON object of quoted JSON paths into the stream record, which
 * EventBridge replaces with the (escaped) string values. The result is the event's `detail`.
 * The write that verifies stores every attribute named here, so none is ever missing.
 */
export const EMAIL_VERIFIED_INPUT_TEMPLATE = `{${Object.entries(DETAIL_ATTRIBUTES)
  .map(([field, attribute]) => `"${field}": "<$.dynamodb.NewImage.${attribute}.S>"`)
  .join(', ')}}`;

/**
 * What EventBridge accepts as a pipe's `source`: 1 to 256 characters, with a letter, digit or one
 * of `/._-`, not starting with `aws.` (reserved for AWS services). Checked at synth, so a bad
 * value fails there rather than in a deployment.
 */
export function checkEventSource(source: string): string {
  if (source.length === 0 || source.length > 256 || source.startsWith('aws.') || !/[/._A-Za-z0-9-]/.test(source)) {
    throw new Error(`The EmailVerified event source must be 1 to 256 characters and not start with "aws.", got "${source}"`);
  }
  return source;
}
