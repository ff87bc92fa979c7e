import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FALLBACK_REGION } from '../src/settings.js';
import { LOCAL_ACCOUNT_ID } from './proxy-event.js';

/** A Lambda context for invoking a handler in-process, with a deadline `timeoutMs` from now. */
export function lambdaContext(functionName: string, timeoutMs: number, region = process.env.AWS_REGION || FALLBACK_REGION): Context {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported here; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${today}/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
