/**
 * A seeded slice of the fuzz suite (fuzz-harness.ts), small enough for every `npm test`: the same
 * properties as `npm run fuzz`, a few hundred requests, against the shared DynamoDB Local and
 * local SES.
 */
import fc from 'fast-check';
import { inProcessService } from '../support/in-process.js';
import { captureServiceOutput, type ServiceOutput } from '../support/service-output.js';
import { FUZZ_SETTINGS, FuzzHarness, iamRequests, rpcRequests } from './fuzz-harness.js';

const SEED = 20_260_601;
let harness: FuzzHarness;
// The service's log lines and metrics are its own output, not the test's.
let output: ServiceOutput;

beforeAll(async () => {
  output = captureServiceOutput();
  harness = await FuzzHarness.start(await inProcessService(FUZZ_SETTINGS), 24);
});
afterAll(() => {
  output.restore();
  console.log(`[fuzz slice] ${JSON.stringify(harness.stats)}`);
});

test('300 signed RPC requests with hostile values: no 5xx, every body in the format asked and within its bound', async () => {
  await fc.assert(fc.asyncProperty(rpcRequests(harness), (request) => harness.rpc(request)), { numRuns: 300, seed: SEED, endOnFailure: true });
  expect(harness.stats.rpcRequests).toBeGreaterThanOrEqual(300);
  expect(harness.stats.serverErrors).toBe(0);
}, 60_000);

test('100 IAM requests with hostile headers, bodies and content types: no 5xx, every answer as the OpenAPI document says', async () => {
  await fc.assert(fc.asyncProperty(iamRequests(harness), (request) => harness.iam(request)), { numRuns: 100, seed: SEED, endOnFailure: true });
  expect(harness.stats.iamRequests).toBe(100);
}, 60_000);

test('every mail went to a valid address, exactly as often as the answers said, within the quota', async () => {
  await harness.checkMails();
  expect(harness.stats.successes).toBeGreaterThan(0);
  expect(harness.stats.mailsChecked).toBe(harness.stats.successes);
});
