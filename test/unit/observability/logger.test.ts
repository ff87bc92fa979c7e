import { lambdaContext } from '../../../local/lambda-context.js';
import { createServiceLogger } from '../../../src/observability/logger.js';
import { captureServiceOutput, type ServiceOutput } from '../../support/service-output.js';

const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

let output: ServiceOutput;
const previousTrace = process.env._X_AMZN_TRACE_ID;
beforeEach(() => {
  output = captureServiceOutput();
  process.env._X_AMZN_TRACE_ID = TRACE;
});
afterEach(() => {
  output.restore();
  if (previousTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = previousTrace;
});

describe('the service logger', () => {
  test("writes Powertools Logger's keys, in its order, then the persistent keys and the entry's fields", () => {
    const logger = createServiceLogger('info').createChild({ persistentKeys: { api: 'rpc' } });
    const first = lambdaContext('RpcFunction', 10_000);
    const second = lambdaContext('RpcFunction', 10_000);
    logger.info('before any request', { a: 1 });
    logger.addContext(first);
    logger.info('request', { statusCode: 200, list: ['x'], absent: undefined });
    logger.addContext(second);
    logger.info('request', { statusCode: 201 });

    const [before, cold, warm] = output.logs();
    expect(Object.keys(before!)).toEqual(['level', 'message', 'timestamp', 'service', 'xray_trace_id', 'api', 'a']);
    expect(Object.keys(cold!)).toEqual([
      'level',
      'message',
      'timestamp',
      'service',
      'cold_start',
      'function_arn',
      'function_memory_size',
      'function_name',
      'function_request_id',
      'xray_trace_id',
      'api',
      'statusCode',
      'list',
    ]);
    expect(cold).toEqual({
      level: 'INFO',
      message: 'request',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'email-verification',
      cold_start: true,
      function_arn: first.invokedFunctionArn,
      function_memory_size: '512',
      function_name: 'RpcFunction',
      function_request_id: first.awsRequestId,
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      api: 'rpc',
      statusCode: 200,
      list: ['x'],
    });
    // Only a process's first request is its cold start.
    expect(warm).toMatchObject({ cold_start: false, function_request_id: second.awsRequestId, statusCode: 201 });
  });

  test('an error is written as its name, location, message and stack; a string as `extra`', () => {
    const logger = createServiceLogger('error');
    const cause = new TypeError('root cause');
    logger.error('revert failed', new Error('injected failure', { cause }));
    logger.error('plain', 'just text');
    const [withError, withText] = output.logs();
    expect(withError!.error).toEqual({
      name: 'Error',
      location: expect.stringMatching(/logger\.test\.ts:\d+$/),
      message: 'injected failure',
      stack: expect.stringContaining('Error: injected failure'),
      cause: expect.objectContaining({ name: 'TypeError', message: 'root cause' }),
    });
    expect(withText).toMatchObject({ level: 'ERROR', message: 'plain', extra: 'just text' });
  });

  test('DEBUG and INFO go to stdout, WARN and ERROR to stderr', () => {
    const streams: string[] = [];
    const writes = [process.stdout, process.stderr].map((stream, index) => {
      const write = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        streams.push(`${index === 0 ? 'stdout' : 'stderr'} ${JSON.parse(String(chunk)).level}`);
        return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      return () => {
        stream.write = write;
      };
    });
    try {
      const logger = createServiceLogger('debug');
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
    } finally {
      for (const restore of writes) restore();
    }
    expect(streams).toEqual(['stdout DEBUG', 'stdout INFO', 'stderr WARN', 'stderr ERROR']);
  });

  test('silent writes nothing at any level', () => {
    const logger = createServiceLogger('silent');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e', new Error('x'));
    expect(output.lines).toEqual([]);
  });
});

// After the test above, which needs the process's first context (its cold start).
describe('the logger family', () => {
  test("a request's context, added through one child, is on the lines of the logger it came from too", () => {
    const root = createServiceLogger('info');
    const child = root.createChild({ persistentKeys: { api: 'iam' } });
    const context = lambdaContext('ResendCodeFunction', 10_000);
    child.addContext(context);
    root.error('revert after a failed send failed', new Error('stalled'));
    child.info('request');

    const [revert, request] = output.logs();
    expect(revert).toMatchObject({ level: 'ERROR', function_request_id: context.awsRequestId, function_name: 'ResendCodeFunction' });
    expect(revert).not.toHaveProperty('api');
    expect(request).toMatchObject({ function_request_id: context.awsRequestId, api: 'iam' });
  });
});
