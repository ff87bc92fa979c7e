/**
 * `npm run smoke` against the local API (the real handlers behind the API Gateway bridge, on
 * DynamoDB Local and the local SES): every check passes with the right URL and key, and each
 * likely mistake (a wrong URL, a URL with a stage that is not there, a wrong key id or secret)
 * fails the right check with a hint that names it. One run goes through the CLI itself for its
 * output and exit code; .ci/run also runs it against `npm start`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSmoke, type CheckResult, type SmokeOptions } from '../../ops/smoke-checks.js';
import { formatResult, parseSmokeArguments, summaryLine } from '../../ops/smoke.js';
import { SESClient } from '@aws-sdk/client-ses';
import { findFreePort } from '../../local/ports.js';
import { freshAddress } from '../support/fresh-address.js';
import { startTestApi, type TestApi } from '../support/local-api.js';
import { startRpcTestApi } from '../support/rpc-clients.js';
import { captureServiceOutput } from '../support/service-output.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCAL_KEY = { accessKeyId: process.env.RPC_ACCESS_KEY_ID!, accessKeySecret: process.env.RPC_ACCESS_KEY_SECRET! };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

const smoke = (options: Partial<SmokeOptions>) => runSmoke({ url: api.baseUrl, timeoutMs: 5_000, ...options });
const byName = (results: CheckResult[], prefix: string) => results.find((result) => result.name.startsWith(prefix))!;
const statuses = (results: CheckResult[]) => results.map((result) => result.status);

test('the right URL and key: every check passes, the whole loop included (mail read from the local SES)', async () => {
  const results = await smoke({ rpcKey: LOCAL_KEY, sendTo: freshAddress('smoke'), inbox: process.env.SES_ENDPOINT! });
  expect(results.filter((result) => result.status !== 'pass')).toEqual([]);
  expect(results).toHaveLength(9);
  expect(byName(results, 'loop: the link').detail).toBe('200 "Email address verified"');
  expect(summaryLine(results)).toBe('smoke: 9 passed, 0 failed, 0 skipped');
});

test('a trailing slash on the URL (as the ApiUrl output has) changes nothing', async () => {
  const results = await smoke({ url: `${api.baseUrl}/`, rpcKey: LOCAL_KEY });
  expect(statuses(results)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'skip', 'skip', 'skip', 'skip']);
});

test('without a key: the unsigned checks run, the signed ones are skipped with the reason', async () => {
  const results = await smoke({});
  expect(statuses(results).slice(0, 5)).toEqual(['pass', 'pass', 'pass', 'skip', 'skip']);
  expect(byName(results, 'rpc: a signed').detail).toMatch(/--rpc-key-id and --rpc-key-secret/);
});

test('a wrong URL: the first check fails with "wrong URL", the rest are skipped', async () => {
  const results = await smoke({ url: `http://127.0.0.1:${await findFreePort()}`, rpcKey: LOCAL_KEY });
  expect(results[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/cannot connect/), hint: expect.stringMatching(/wrong URL/) });
  expect(statuses(results).slice(1).every((status) => status === 'skip')).toBe(true);
});

test('a stage that is not in the path: API Gateway\'s no-route answer, with the hint about the ApiUrl and its stage', async () => {
  const results = await smoke({ url: `${api.baseUrl}/prod/` });
  expect(results[0]).toMatchObject({ status: 'fail', hint: expect.stringMatching(/ApiUrl output as it is, stage included/) });
});

test('a wrong secret: the signed query fails and says the secret is wrong', async () => {
  const results = await smoke({ rpcKey: { ...LOCAL_KEY, accessKeySecret: 'not-the-secret' } });
  expect(byName(results, 'rpc: a signed')).toMatchObject({
    status: 'fail',
    detail: 'got SignatureDoesNotMatch',
    hint: expect.stringMatching(/wrong --rpc-key-secret/),
  });
});

test('a wrong key id: the signed query fails and says the id is not in the secret', async () => {
  const results = await smoke({ rpcKey: { accessKeyId: 'no-such-key', accessKeySecret: 'x' } });
  expect(byName(results, 'rpc: a signed')).toMatchObject({
    status: 'fail',
    detail: 'got InvalidAccessKeyId.NotFound',
    hint: expect.stringMatching(/--rpc-key-id is not in the RPC access keys secret/),
  });
});

test('SES refusing the mail (an unverified identity or sandbox recipient): the submit step names SES, the identity and the sandbox', async () => {
  // What SES answers in the sandbox for an unverified recipient, from a real SES client.
  const ses = new SESClient({ endpoint: process.env.SES_ENDPOINT, region: process.env.AWS_REGION });
  ses.middlewareStack.add(
    () => async () => {
      throw Object.assign(new Error('Email address is not verified. The following identities failed the check: x@example.com'), {
        name: 'MessageRejected',
      });
    },
    { step: 'build', name: 'sandboxRefusal' },
  );
  const refusing = await startRpcTestApi({ overrides: { ses } });
  const output = captureServiceOutput();
  try {
    const results = await runSmoke({ url: refusing.baseUrl, rpcKey: refusing.key, sendTo: freshAddress('smoke-refused'), inbox: process.env.SES_ENDPOINT! });
    expect(byName(results, 'loop: Submit')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^SendEmailFailed/),
      hint: expect.stringMatching(/sender identity is not verified.*SES sandbox.*sesSandboxRecipients/),
    });
    expect(statuses(results).slice(-3)).toEqual(['skip', 'skip', 'skip']);
    // The operator sees the refusal in the function's log, not only the smoke test's caller.
    expect(output.logs().filter((entry) => entry.level === 'ERROR').map((entry) => entry.failCodes)).toContainEqual(['SendEmailFailed']);
  } finally {
    output.restore();
    await refusing.stop();
    ses.destroy();
  }
});

test('an address verified before: the submit step says to use a new one', async () => {
  const address = freshAddress('smoke-twice');
  await smoke({ rpcKey: LOCAL_KEY, sendTo: address, inbox: process.env.SES_ENDPOINT! });
  const again = await smoke({ rpcKey: LOCAL_KEY, sendTo: address, inbox: process.env.SES_ENDPOINT! });
  expect(byName(again, 'loop: Submit')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^EmailAlreadyVerified/), hint: expect.stringMatching(/use a new address/) });
});

/** The CLI as `npm run smoke` runs it, in a child process (this process serves the API meanwhile). */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'ops/smoke.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

test('the CLI: one line per check, a hint under a failure, the summary, exit code 1 on failure and 2 on bad usage', async () => {
  const run = runCli;
  const failed = await run(['--url', api.baseUrl, '--rpc-key-id', LOCAL_KEY.accessKeyId, '--rpc-key-secret', 'wrong']);
  expect(failed.status).toBe(1);
  expect(failed.stdout).toMatch(/^PASS {2}page: an invalid link shows the invalid-link page/m);
  expect(failed.stdout).toMatch(/^FAIL {2}rpc: a signed QueryEmailVerification.*\n {6}got: SignatureDoesNotMatch\n {6}likely: wrong --rpc-key-secret/m);
  expect(failed.stdout.trim().split('\n').pop()).toBe('smoke: 4 passed, 1 failed, 4 skipped');

  const usage = await run(['--url', 'not-a-url']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/--url must start with http/);
});

test('arguments', () => {
  expect(parseSmokeArguments(['--url', 'https://x.example/prod/', '--rpc-key-id', 'a', '--rpc-key-secret', 'b', '--send-to', 'me@x.example'])).toEqual({
    url: 'https://x.example/prod/',
    rpcKey: { accessKeyId: 'a', accessKeySecret: 'b' },
    sendTo: 'me@x.example',
    timeoutMs: 15_000,
  });
  expect(() => parseSmokeArguments(['--url', 'https://x.example', '--rpc-key-id', 'a'])).toThrow(/both --rpc-key-id and --rpc-key-secret/);
  expect(() => parseSmokeArguments([])).toThrow(/--url is required/);
  expect(() => parseSmokeArguments(['--url', 'https://x.example', '--bogus'])).toThrow(/bogus/);
  expect(formatResult({ name: 'n', status: 'fail', detail: 'got X', hint: 'h', ms: 3 })).toBe('FAIL  n (3 ms)\n      got: X\n      likely: h');
});
