/**
 * `npm start` shows each EMF line the handlers print as one short line: here with the lines
 * Powertools really prints for a request's metrics.
 */
import { summarizeEmf, summarizeMetricsOn } from '../../../local/metrics-summary.js';
import { createServiceMetrics, RequestMetrics } from '../../../src/observability/metrics.js';

const previous = process.env.POWERTOOLS_METRICS_DISABLED;
beforeAll(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});
afterAll(() => {
  if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = previous;
});

test('each EMF line of a request becomes one summary; other output passes through', () => {
  const summaries: string[] = [];
  const passed: string[] = [];
  const original = process.stdout.write;
  // Below the summarizer: what reaches the terminal.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    passed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  const restore = summarizeMetricsOn(process.stdout, (summary) => summaries.push(summary));
  try {
    const counted = new RequestMetrics();
    counted.count('MailsSent');
    counted.count('MailsSent');
    counted.count('SendFailures', { stage: 'send-mail' });
    counted.publish(createServiceMetrics('rpc'));
    process.stdout.write('an ordinary line\n');
  } finally {
    restore();
    process.stdout.write = original;
  }
  expect(summaries.sort()).toEqual([
    'metrics EmailVerification rpc ColdStart=1',
    'metrics EmailVerification rpc MailsSent=2',
    'metrics EmailVerification rpc SendFailures=1 (stage=send-mail)',
  ]);
  expect(passed).toEqual(['an ordinary line\n']);
});

test('anything that is not an EMF document is left alone', () => {
  expect(summarizeEmf('{"level":"INFO","message":"request"}')).toBeUndefined();
  expect(summarizeEmf('{"_aws": not json')).toBeUndefined();
  expect(summarizeEmf('plain text')).toBeUndefined();
});
