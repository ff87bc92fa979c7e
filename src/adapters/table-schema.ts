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

export function tableDefinition(tableName: string) {
  return {
    TableName: tableName,
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' as const }],
    AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}
