/**
 * The one table both handlers share. Shared by the CDK stack, the local stack and the tests,
 * so the key and TTL attribute are named in one place.
 *
 * Items: `EMAIL#<lower-cased address>` verification records, `NONCE#<access key>#<nonce>`
 * used RPC nonces, `LIMIT#<scope>#<bucket>` abuse-limit counters. Every item has `ttl`.
 */
export const PARTITION_KEY = 'pk';
/** DynamoDB TTL wants epoch seconds. */
export const TTL_ATTRIBUTE = 'ttl';
/** The key prefix of verification records (`EMAIL#<lower-cased address>`). */
export const RECORD_KEY_PREFIX = 'EMAIL#';

/**
 * Attributes of a verification record that are read straight from the table's stream, by the
 * EmailVerified event's pipe (src/adapters/email-verified-event.ts), so the store and the pipe
 * name them in one place.
 */
export const RECORD_ATTRIBUTES = {
  status: 'status',
  address: 'address',
  lang: 'lang',
  /**
   * When it was verified, ISO 8601 in UTC: `verifiedAt` holds epoch milliseconds, which a pipe's
   * input template cannot format, so the write that verifies also writes this.
   */
  verifiedAtIso: 'verifiedAtIso',
  /** `code` or `link` */
  verifiedWith: 'verifiedWith',
  /** `iam` or `rpc` */
  verifiedVia: 'verifiedVia',
  /** The RPC access key whose submit created the record; empty when it was started through the IAM side. */
  submittedBy: 'submittedBy',
} as const;

/** The stream the EmailVerified pipe (and `npm start`) reads: both images of every change. */
export const STREAM_VIEW_TYPE = 'NEW_AND_OLD_IMAGES' as const;

export function tableDefinition(tableName: string) {
  return {
    TableName: tableName,
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' as const }],
    AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
    StreamSpecification: { StreamEnabled: true, StreamViewType: STREAM_VIEW_TYPE },
  };
}
