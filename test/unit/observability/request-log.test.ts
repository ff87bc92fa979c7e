import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { FUNCTIONS, ROUTES } from '../../../lambdas/routes.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { buildProxyEvent } from '../../../local/proxy-event.js';
import { createServiceLogger, type LogLevel } from '../../../src/observability/logger.js';
import { maskEmail } from '../../../src/observability/mask-email.js';
import { createServiceMetrics } from '../../../src/observability/metrics.js';
import { observationOf, observeRequests, type LoggedContext } from '../../../src/observability/request-log.js';
import { SETTINGS } from '../../../src/settings.js';
import { captureServiceOutput, type ServiceOutput } from '../../support/service-output.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.secret-token-body.signature';

function event(requestId = 'req-1'): APIGatewayProxyEvent {
  return buildProxyEvent({
    method: 'POST',
    path: ROUTES.resendCode.path,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: '{"code":"864209"}',
    requestId,
  });
}

type Outcome = 'ok' | 'refused' | 'refused-in-batch' | 'failed' | 'failed-in-batch' | 'thrown';

/** A route that reports like the real ones: a masked address, a debug line, counted outcomes. */
function handler(level: LogLevel) {
  const logger = createServiceLogger(level).createChild({ persistentKeys: { api: 'iam' } });
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(observeRequests({ logger, metrics: createServiceMetrics('iam') }))
    .use({
      onError: (request) => {
        request.response = { statusCode: 500, body: '{}' };
      },
    })
    .handler(async (routed, context) => {
      const observation = observationOf(context);
      observation.logFields.email = maskEmail('alice@example.com');
      observation.debug('detail', { outcomes: [maskEmail('alice@example.com')] });
      const outcome = (routed.headers['X-Outcome'] ?? 'ok') as Outcome;
      if (outcome === 'thrown') throw new Error('boom');
      if (outcome === 'refused-in-batch') observation.metrics.count('QuotaRefusals', { limit: 'address' });
      if (outcome === 'failed-in-batch') observation.metrics.count('SendFailures', { stage: 'send-mail' });
      const status = { ok: 200, refused: 429, 'refused-in-batch': 200, failed: 500, 'failed-in-batch': 200 }[outcome];
      return { statusCode: status, body: '{}' };
    });
}

async function run(level: LogLevel, outcome: Outcome): Promise<void> {
  const request = event();
  request.headers['X-Outcome'] = outcome;
  await handler(level)(request, lambdaContext(FUNCTIONS.iam.name, 10_000));
}

let output: ServiceOutput;
beforeEach(() => {
  output = captureServiceOutput();
});
afterEach(() => output.restore());

describe('maskEmail', () => {
  it('keeps the first character and the domain only', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('x@y.example')).toBe('x***@y.example');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});

describe('observeRequests', () => {
  it('writes one JSON line per request with the request id, status, API and masked fields', async () => {
    const context = lambdaContext(FUNCTIONS.iam.name, 10_000);
    await handler('info')(event('req-7'), context);
    const logs = output.logs();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      message: 'request',
      service: 'email-verification',
      api: 'iam',
      requestId: 'req-7',
      function_request_id: context.awsRequestId,
      function_name: FUNCTIONS.iam.name,
      method: 'POST',
      path: ROUTES.resendCode.path,
      statusCode: 200,
      email: 'a***@example.com',
    });
    expect(typeof logs[0]!.durationMs).toBe('number');
    expect(typeof logs[0]!.timestamp).toBe('string');
  });

  it('never writes the token, the body or the code', async () => {
    await run('debug', 'ok');
    await run('debug', 'failed');
    const all = output.lines.join('\n');
    expect(output.lines.length).toBeGreaterThanOrEqual(4);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('864209');
    expect(all).not.toContain('alice@');
  });

  // What each outcome's request line is, and which lines each LOG_LEVEL keeps.
  const LINE_LEVEL: Record<Outcome, string> = {
    ok: 'INFO',
    refused: 'WARN',
    'refused-in-batch': 'WARN',
    failed: 'ERROR',
    'failed-in-batch': 'ERROR',
    thrown: 'ERROR',
  };
  const ORDER = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

  it.each(SETTINGS.LOG_LEVEL.choices.map((level) => [level]))('LOG_LEVEL=%s keeps exactly the lines at or above it', async (level) => {
    const threshold = level === 'silent' ? ORDER.length : ORDER.indexOf(level.toUpperCase());
    const outcomes = Object.keys(LINE_LEVEL) as Outcome[];
    for (const outcome of outcomes) await run(level as LogLevel, outcome);
    const expected = [
      ...(threshold === 0 ? outcomes.map(() => 'DEBUG') : []),
      ...outcomes.map((outcome) => LINE_LEVEL[outcome]).filter((lineLevel) => ORDER.indexOf(lineLevel) >= threshold),
    ].sort();
    expect(output.logs().map((entry) => entry.level).sort()).toEqual(expected);
  });
});
