import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { NonceRegistry } from '../domain/ports.js';
import type { TimeBudget } from '../domain/time-budget.js';
import { boundedCall } from './bounded-call.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-schema.js';

/** Single-use request nonces, remembered until the request's timestamp can no longer be accepted. */
export class DynamoDbNonceRegistry implements NonceRegistry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(scope: string, nonce: string, now: number, expiresAt: number, budget?: TimeBudget): Promise<boolean> {
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: {
        [PARTITION_KEY]: { S: `NONCE#${scope}#${nonce}` },
        expiresAt: { N: String(expiresAt) },
        [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAt / 1000)) },
      },
      // TTL deletes late: an expired nonce still stored may be claimed again.
      ConditionExpression: 'attribute_not_exists(#pk) OR expiresAt <= :now',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':now': { N: String(now) } },
    });
    try {
      await boundedCall('dynamodb', 'DynamoDB PutItem', budget, (abortSignal) => this.client.send(command, { abortSignal }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
