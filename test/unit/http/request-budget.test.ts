import type { Context } from 'aws-lambda';
import { ANSWER_MARGIN_MS, API_GATEWAY_TIMEOUT_MS, requestBudget } from '../../../lambdas/http/request-budget.js';
import { FUNCTIONS } from '../../../lambdas/routes.js';
import { lambdaContext } from '../../../local/lambda-context.js';

const context = (remainingMs: number) => ({ ...lambdaContext('rpc', remainingMs) }) as Context;

describe('requestBudget', () => {
  test("is what the function has left, minus the margin to answer", () => {
    const now = Date.now();
    const budget = requestBudget({ requestContext: { requestTimeEpoch: now } } as never, context(FUNCTIONS.iam.timeoutSeconds * 1000), now);
    expect(budget.deadline - now).toBeGreaterThan(FUNCTIONS.iam.timeoutSeconds * 1000 - ANSWER_MARGIN_MS - 50);
    expect(budget.deadline - now).toBeLessThanOrEqual(FUNCTIONS.iam.timeoutSeconds * 1000 - ANSWER_MARGIN_MS);
  });

  test("is cut to API Gateway's 29 s since it received the request (a slow cold start counts there)", () => {
    const now = Date.now();
    const receivedAt = now - 6_000;
    // A function with more time left than API Gateway gives the request.
    const budget = requestBudget({ requestContext: { requestTimeEpoch: receivedAt } } as never, context(API_GATEWAY_TIMEOUT_MS), now);
    expect(budget.deadline - now).toBe(API_GATEWAY_TIMEOUT_MS - 6_000 - ANSWER_MARGIN_MS);
  });

  test('every function fits inside API Gateway with room to answer', () => {
    for (const fn of Object.values(FUNCTIONS)) expect(fn.timeoutSeconds * 1000).toBeLessThan(API_GATEWAY_TIMEOUT_MS);
  });
});
