import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { maskEmail } from '../../../src/observability/mask-email.js';
import { requestLog, type LoggedContext, type LogLevel } from '../../../src/observability/request-log.js';
import { ROUTES } from '../../../lambdas/routes.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.secret-token-body.signature';

function event(): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: ROUTES.resendCode.path,
    headers: { Authorization: `Bearer ${TOKEN}` },
    body: '{"code":"123456"}',
    requestContext: { requestId: 'req-1' },
  } as unknown as APIGatewayProxyEvent;
}

function handlerLogging(lines: string[], level: LogLevel, respond: () => Promise<APIGatewayProxyResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(requestLog('test', level, (line) => lines.push(line)))
    .handler(async (_event, context) => {
      context.logFields.email = maskEmail('alice@example.com');
      return respond();
    });
}

const context = { awsRequestId: 'lambda-1' } as LoggedContext;

describe('maskEmail', () => {
  it('keeps the first character and the domain only', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('x@y.example')).toBe('x***@y.example');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});

describe('requestLog', () => {
  it('writes one JSON line per request with the request id, status and masked fields', async () => {
    const lines: string[] = [];
    await handlerLogging(lines, 'info', async () => ({ statusCode: 201, body: '{}' }))(event(), context);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      level: 'info',
      service: 'test',
      requestId: 'req-1',
      lambdaRequestId: 'lambda-1',
      statusCode: 201,
      email: 'a***@example.com',
    });
    expect(typeof entry.durationMs).toBe('number');
  });

  it('never writes the token, the body or the code', async () => {
    const lines: string[] = [];
    await handlerLogging(lines, 'info', async () => ({ statusCode: 200, body: '{}' }))(event(), context);
    const line = lines.join('\n');
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain('123456');
    expect(line).not.toContain('alice@');
  });

  it('drops lines below the minimum level but keeps failures', async () => {
    const lines: string[] = [];
    await handlerLogging(lines, 'warn', async () => ({ statusCode: 429, body: '{}' }))(event(), context);
    expect(lines).toHaveLength(0);
    await handlerLogging(lines, 'warn', async () => ({ statusCode: 500, body: '{}' }))(event(), context);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).level).toBe('error');
  });
});
