/**
 * The floor of the libraries the functions are built on, for the bench's comparison figures:
 * both SDK clients (built with the functions' trims and created at init, as the functions create
 * them), jose, Powertools Metrics and middy, and one key secret read at init, with a handler
 * that uses each of them once so that the build keeps what a real handler needs. None of the
 * service's own code is in it: whatever the service adds sits on top of this bundle's size and
 * init. The bench only imports it; the handler never runs.
 */
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { SignJWT, jwtVerify } from 'jose';
import { dynamoDbClient, sesClient } from '../src/adapters/aws-clients.js';
import { secretsManagerReader } from '../src/adapters/secrets-manager-reader.js';

const arn = process.env.TOKEN_SIGNING_SECRET_ARN;
if (!arn) throw new Error('TOKEN_SIGNING_SECRET_ARN is not set');
const region = process.env.AWS_REGION ?? '';
const dynamodb = dynamoDbClient({ region });
const ses = sesClient({ region });
const metrics = new Metrics({ namespace: 'Floor', serviceName: 'floor' });
const key = new TextEncoder().encode(await secretsManagerReader({ env: process.env })(arn));

export const handler = middy(async (event: { readonly token: string }) => {
  const { payload } = await jwtVerify(event.token, key);
  try {
    await dynamodb.send(new UpdateItemCommand({ TableName: 'floor', Key: { pk: { S: String(payload.sub) } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  await ses.send(new SendEmailCommand({ Source: 'floor@example.com', Destination: { ToAddresses: [String(payload.sub)] }, Message: { Subject: { Data: 'floor' }, Body: { Text: { Data: 'floor' } } } }));
  metrics.addMetric('MailsSent', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { token: await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key) };
});
