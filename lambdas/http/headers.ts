import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A request header by name, in any case; API Gateway keeps the client's spelling. */
export function headerValue(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === lower && value !== undefined) return value;
  }
  return undefined;
}
