import {
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { LimitCounters } from '../domain/ports.js';
import type { TimeBudget } from '../domain/time-budget.js';
import { boundedCall } from './bounded-call.js';
import { PARTITION_KEY, TTL_ATTRIBUTE } from './table-schema.js';

const MAX_TAKE_ROUNDS = 3;

/** Hard-limit counters: every take is a conditional ADD, so concurrent takes never pass the limit. */
export class DynamoDbLimitCounters implements LimitCounters {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async take(counterKey: string, wanted: number, limit: number, expiresAt: number, budget?: TimeBudget): Promise<number> {
    let asking = Math.min(wanted, limit);
    for (let round = 0; round < MAX_TAKE_ROUNDS && asking > 0; round++) {
      try {
        await this.update(
          counterKey,
          {
            UpdateExpression: 'SET #ttl = :ttl ADD used :asking',
            ConditionExpression: 'attribute_not_exists(used) OR used <= :ceiling',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':asking': { N: String(asking) },
              ':ceiling': { N: String(limit - asking) },
              ':ttl': { N: String(Math.ceil(expiresAt / 1000)) },
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
          budget,
        );
        return asking;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Not enough left for all of it: ask for what was left when the condition looked.
        const used = Number(error.Item?.used?.N ?? limit);
        asking = Math.min(asking - 1, limit - used);
      }
    }
    return 0;
  }

  async giveBack(counterKey: string, units: number, budget?: TimeBudget): Promise<void> {
    if (units <= 0) return;
    await this.update(
      counterKey,
      {
        UpdateExpression: 'ADD used :minus',
        ConditionExpression: 'attribute_exists(used)',
        ExpressionAttributeValues: { ':minus': { N: String(-units) } },
      },
      budget,
    );
  }

  private async update(
    counterKey: string,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
    budget: TimeBudget | undefined,
  ): Promise<void> {
    const command = new UpdateItemCommand({
      TableName: this.tableName,
      Key: { [PARTITION_KEY]: { S: `LIMIT#${counterKey}` } },
      ...input,
    });
    await boundedCall('dynamodb', 'DynamoDB UpdateItem', budget, (abortSignal) => this.client.send(command, { abortSignal }));
  }
}
