import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { TimeBudget } from '../../src/domain/time-budget.js';

/** API Gateway's integration timeout: it answers 504 after this, whatever the function does. */
export const API_GATEWAY_TIMEOUT_MS = 29_000;
/** Kept back from every budget to answer and write the request's log line. */
export const ANSWER_MARGIN_MS = 1_000;

/**
 * The time a request may spend on its dependencies: what is left of the function's timeout
 * (`getRemainingTimeInMillis`) and of API Gateway's 29 s since it received the request, whichever
 * is less, minus the margin to answer. A cold start counts against API Gateway's time but not the
 * function's, so both are needed.
 */
export function requestBudget(event: Pick<APIGatewayProxyEvent, 'requestContext'>, context: Context, now = Date.now()): TimeBudget {
  const receivedAt = event.requestContext?.requestTimeEpoch;
  const gatewayLeft = Number.isFinite(receivedAt) ? API_GATEWAY_TIMEOUT_MS - (now - receivedAt) : API_GATEWAY_TIMEOUT_MS;
  const functionLeft = context.getRemainingTimeInMillis();
  return TimeBudget.until(now + Math.max(0, Math.min(gatewayLeft, functionLeft) - ANSWER_MARGIN_MS));
}

const BUDGETS = new WeakMap<Context, TimeBudget>();

/** The budget of the request `context` belongs to. */
export function budgetOf(context: Context): TimeBudget {
  const budget = BUDGETS.get(context);
  if (budget === undefined) throw new Error('no time budget: is the requestBudgets middleware in front of this route?');
  return budget;
}

/**
 * Starts each request's budget, and ends it once the answer is decided: whatever is still
 * running under it (a mail a batch gave up on, a retry) is aborted and cannot act afterwards.
 */
export function requestBudgets(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  const end = (context: Context) => {
    BUDGETS.get(context)?.end();
    BUDGETS.delete(context);
  };
  return {
    before: (request) => {
      BUDGETS.set(request.context, requestBudget(request.event, request.context));
    },
    after: (request) => end(request.context),
    onError: (request) => end(request.context),
  };
}
