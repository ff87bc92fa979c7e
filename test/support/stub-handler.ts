/**
 * A Lambda handler module for bridge tests of lazy, once-only module loading. Counts how often
 * the module body ran (in a global, so a second evaluation would show).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const counter = globalThis as { __stubHandlerEvaluations__?: number };
counter.__stubHandlerEvaluations__ = (counter.__stubHandlerEvaluations__ ?? 0) + 1;
/** The environment variable STUB_GREETING as it was when this module was evaluated. */
const greetingAtLoad = process.env.STUB_GREETING ?? 'unset';

export const evaluations = () => counter.__stubHandlerEvaluations__ ?? 0;

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ greetingAtLoad, path: event.path, evaluations: evaluations() }),
  };
}
