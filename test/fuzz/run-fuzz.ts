/**
 * `npm run fuzz`: the fuzz suite at length, against DynamoDB Local and a local SES of its own.
 *
 *   npm run fuzz                              # 10,000 RPC and 2,000 IAM requests, a random seed
 *   npm run fuzz -- --rpc 500 --iam 100 --seed 42
 *
 * Prints the counts (requests, 5xx, bodies checked, mails checked) and exits non-zero on the
 * first property that fails, with the request that broke it and the seed to replay it.
 */
import fc from 'fast-check';
import { LOCAL_DEFAULTS, localEnvironment } from '../../local/local-environment.js';
import { startLocalServices } from '../../local/services.js';
import { inProcessService } from '../support/in-process.js';
import { captureServiceOutput } from '../support/service-output.js';
import { FUZZ_SETTINGS, FuzzHarness, iamRequests, rpcRequests } from './fuzz-harness.js';

// The SDK warns on stderr that Node 20 support is ending; here that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : fallback;
}

const ROUNDS = 10;
const rpcRuns = option('rpc', 10_000);
const iamRuns = option('iam', 2_000);
const seed = option('seed', Math.floor(Math.random() * 2 ** 31));

const services = await startLocalServices({ tableName: 'fuzz' });
// The service's own lines (request logs, EMF metrics) are counted, not printed.
const output = captureServiceOutput();
let serviceLines = 0;
const drainServiceOutput = () => {
  serviceLines += output.lines.length;
  output.clear();
};
let failed = false;
try {
  Object.assign(process.env, localEnvironment(services, {}), LOCAL_DEFAULTS, { LOG_LEVEL: 'silent' });
  const harness = await FuzzHarness.start(await inProcessService(FUZZ_SETTINGS), 200);
  const started = Date.now();
  const progress = setInterval(() => {
    drainServiceOutput();
    const { rpcRequests: rpc, iamRequests: iam } = harness.stats;
    process.stderr.write(`  ${rpc + iam} requests (${rpc} RPC, ${iam} IAM), ${Math.round((Date.now() - started) / 1000)} s\n`);
  }, 15_000);
  try {
    process.stderr.write(`fuzz: ${rpcRuns} RPC and ${iamRuns} IAM requests, seed ${seed}\n`);
    // In rounds, so that IAM requests meet addresses whose quota RPC has not used up yet.
    for (let round = 0; round < ROUNDS; round++) {
      const share = (total: number) => Math.floor(total / ROUNDS) + (round < total % ROUNDS ? 1 : 0);
      const settings = { seed: seed + round, endOnFailure: true };
      await fc.assert(fc.asyncProperty(rpcRequests(harness), (request) => harness.rpc(request)), { ...settings, numRuns: share(rpcRuns) });
      await fc.assert(fc.asyncProperty(iamRequests(harness), (request) => harness.iam(request)), { ...settings, numRuns: share(iamRuns) });
    }
    await harness.checkMails();
  } catch (error) {
    failed = true;
    process.stderr.write(`\nFAILED (seed ${seed}): ${(error as Error).message}\n`);
  } finally {
    clearInterval(progress);
  }
  drainServiceOutput();
  output.restore();
  const { codes, ...counts } = harness.stats;
  console.log(JSON.stringify({ seed, seconds: Math.round((Date.now() - started) / 1000), ...counts, serviceLines, codes }, null, 2));
} finally {
  output.restore();
  await services.stop();
}
process.exit(failed ? 1 : 0);
