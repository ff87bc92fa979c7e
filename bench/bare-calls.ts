/**
 * The bare calls the functions' hot path is compared with: an UpdateItem and a SendEmail issued
 * directly through the SDK's clients, configured as the service configures its own (region,
 * endpoint). The bench builds this module as a Lambda bundle of its own, with the functions'
 * build (lib/bundling), so both sides run the same SDK code, each copy warmed only by its own
 * calls: the ratio then shows the service's own work, not differences between SDK builds or how
 * often the bench's set-up happened to exercise one copy.
 */
import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';

const region = process.env.AWS_REGION;
const dynamodb = new DynamoDBClient({ region, endpoint: process.env.DYNAMODB_ENDPOINT });
const ses = new SESClient({ region, endpoint: process.env.SES_ENDPOINT });

/** The UpdateItem; fails unless it wrote (it returns the item as it was, as the resend's does). */
export async function bareUpdate(input: UpdateItemCommandInput): Promise<void> {
  const result = await dynamodb.send(new UpdateItemCommand(input));
  if (!result.Attributes) throw new Error('the bare UpdateItem returned no old item');
}

export async function bareSend(input: SendEmailCommandInput): Promise<void> {
  await ses.send(new SendEmailCommand(input));
}
