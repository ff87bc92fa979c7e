/**
 * `npm run bench`: the cold-start and hot-path figures of the functions as `cdk synth` bundles
 * them, as ratios taken in one run, printed as a Markdown table (the README keeps the latest).
 *
 *   npm run bench [-- --rounds 30 --resends 200 --batches 20 --baseline <checkout> --json <file>]
 *   (`--skip init` or `--skip hot` leaves a part out, while working on the other; the table then
 *   shows what was measured)
 *
 * `--baseline <dir>`: another checkout of this project (with its node_modules), synthesized and
 * measured in the same run, interleaved with this one: the before/after table of a change.
 *
 * What runs where: `cdk synth` in each checkout; a fake Secrets Manager in this process (the
 * bundles read their keys through it, signed, as in AWS); cold-init samples as fresh processes on
 * the functions' Node (24); DynamoDB Local and the local SES in a child process; the hot path in
 * another child on Node 24 that imports the bundles (bench/hot-path.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ApiName } from '../lambdas/routes.js';
import { createLocalKeySecrets, startSecretsManagerStandIn } from '../local/secrets-manager-stand-in.js';
import { node24 } from '../local/node24.js';
import { FALLBACK_REGION } from '../src/settings.js';
import { buildLambdaBundle } from '../lib/bundling/lambda-bundle.js';
import { builtinsWithoutEsmFacade } from '../lib/bundling/sdk-trims.js';
import { HELLO_WORLD, lambdaEnvironment, measureColdInit, type BenchCredentials, type InitCase, type InitResult } from './cold-init.js';
import type { HotPathInput, HotPathResults } from './hot-path.js';
import { formatReport, type BenchReport } from './report.js';
import { resolvedVariables, synthesizeStack, type SynthesizedStack } from './synthesized-stack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = FALLBACK_REGION;
const APIS: readonly ApiName[] = ['iam', 'rpc'];
const CREDENTIALS: BenchCredentials = {
  accessKeyId: 'ASIABENCHEXAMPLE0000',
  secretAccessKey: 'bench/secret/access/key/EXAMPLEKEY000000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE'.repeat(20),
};
const BENCH_TABLE = 'bench';
const FLOOR_CASE = 'floor';
const LIBRARIES_FLOOR_CASE = 'libraries floor';
const BENCH_CONFIGURATION_SET = 'bench-configuration-set';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    resends: { type: 'string', default: '200' },
    batches: { type: 'string', default: '20' },
    baseline: { type: 'string' },
    json: { type: 'string' },
    skip: { type: 'string', multiple: true, default: [] },
  },
});
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const node = node24();
const loadBefore = os.loadavg()[0]!;
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
try {
  // -- the stacks as synthesized
  const stacks: SynthesizedStack[] = [];
  if (options.baseline) {
    const dir = path.resolve(options.baseline);
    progress(`cdk synth in ${dir}`);
    stacks.push(synthesizeStack(dir, path.join(work, 'baseline.out'), path.basename(dir)));
  }
  progress('cdk synth in this checkout');
  stacks.push(synthesizeStack(ROOT, path.join(work, 'this.out'), 'this checkout'));

  // The key secrets, holding the local keys, in a stand-in that checks every signature.
  const secretsManager = await startSecretsManagerStandIn({ credentials: CREDENTIALS });
  const keys = createLocalKeySecrets(secretsManager, REGION);
  const secretArns = {
    TOKEN_SIGNING_SECRET_ARN: keys.tokenSigning,
    OTP_HASH_SECRET_ARN: keys.otpHash,
    RPC_ACCESS_KEYS_SECRET_ARN: keys.rpcAccessKeys,
  };
  const functionVariables = (stack: SynthesizedStack, api: ApiName): Record<string, string> => ({
    ...resolvedVariables(stack.functions[api], { tableName: BENCH_TABLE, configurationSet: BENCH_CONFIGURATION_SET, secretArns }),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
  });

  const skip = new Set(options.skip);
  let init: InitResult[] | undefined;
  let librariesFloorBytes: number | undefined;
  let hot: HotPathResults | undefined;
  try {
    if (!skip.has('init')) {
      // Only the builtins trim applies: the floor carries no SDK client.
      const floor = await buildLambdaBundle(path.join(ROOT, 'bench', 'init-floor.ts'), path.join(work, 'init-floor'), [builtinsWithoutEsmFacade]);
      // The libraries alone, with the functions' trims.
      const librariesFloor = await buildLambdaBundle(path.join(ROOT, 'bench', 'libraries-floor.ts'), path.join(work, 'libraries-floor'));
      librariesFloorBytes = librariesFloor.bytes;
      init = await coldInit(stacks, functionVariables, { [FLOOR_CASE]: floor.file, [LIBRARIES_FLOOR_CASE]: librariesFloor.file });
    }
    if (!skip.has('hot')) {
      const bareCalls = await buildLambdaBundle(path.join(ROOT, 'bench', 'bare-calls.ts'), path.join(work, 'bare-calls'));
      const services = await startLocalServices();
      try {
        const hotInput: HotPathInput = {
          stacks: stacks.map((stack) => ({
            label: stack.label,
            iam: { bundle: stack.functions.iam.bundle, env: hotPathEnvironment(stack, 'iam', functionVariables(stack, 'iam'), services) },
            rpc: { bundle: stack.functions.rpc.bundle, env: hotPathEnvironment(stack, 'rpc', functionVariables(stack, 'rpc'), services) },
          })),
          bareCalls: bareCalls.file,
          dynamodbEndpoint: services.dynamodbEndpoint,
          sesEndpoint: services.sesEndpoint,
          region: REGION,
          resendRounds: Number(options.resends),
          batchRounds: Number(options.batches),
          batchSize: 50,
          inFlight: 20,
        };
        progress(`hot path: ${hotInput.resendRounds} resend rounds, ${hotInput.batchRounds} batch rounds`);
        hot = await runHotPath(hotInput);
      } finally {
        await services.stop();
      }
    }
  } finally {
    await secretsManager.close();
  }

  const report: BenchReport = {
    machine: {
      date: new Date().toISOString().slice(0, 10),
      cpu: `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`,
      os: `${os.type()} ${os.release()}`,
      node: execVersion(node),
      load: [loadBefore, os.loadavg()[0]!],
    },
    stacks: stacks.map((stack) => ({
      label: stack.label,
      bytes: { iam: stack.functions.iam.bytes, rpc: stack.functions.rpc.bytes },
      nodeOptions: stack.functions.iam.variables.NODE_OPTIONS?.toString() ?? '',
      ...(init
        ? {
            init: Object.fromEntries(
              APIS.map((api) => [
                api,
                {
                  plain: init.find((row) => row.name === initCaseName(stack, api))!,
                  preload: init.find((row) => row.name === `${initCaseName(stack, api)} +preload`)!,
                },
              ]),
            ) as NonNullable<BenchReport['stacks'][number]['init']>,
          }
        : {}),
      ...(hot ? { hot: hot.stacks.find((row) => row.label === stack.label)! } : {}),
    })),
    ...(init
      ? {
          hello: init.filter((row) => !row.comparedWith),
          floor: initPair(init, FLOOR_CASE),
          librariesFloor: { ...initPair(init, LIBRARIES_FLOOR_CASE), bytes: librariesFloorBytes! },
        }
      : {}),
    ...(hot ? { bare: { update: hot.bareUpdate, send: hot.bareSend, batch: hot.bareBatch } } : {}),
    rounds: {
      ...(init ? { init: Number(options.rounds) } : {}),
      ...(hot ? { resends: hot.resendRounds, batches: hot.batchRounds } : {}),
    },
  };
  process.stdout.write(formatReport(report));
  if (options.json) writeFileSync(options.json, JSON.stringify(report, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Every function of every stack and a hello world per NODE_OPTIONS, with and without the runtime's preload. */
async function coldInit(
  stacks: readonly SynthesizedStack[],
  functionVariables: (stack: SynthesizedStack, api: ApiName) => Record<string, string>,
  floorBundles: Readonly<Record<string, string>>,
): Promise<InitResult[]> {
  const rounds = Number(options.rounds);
  const cases: InitCase[] = [];
  for (const preload of [false, true]) {
    const suffix = preload ? ' +preload' : '';
    const extra: Record<string, string> = preload ? { BENCH_RUNTIME_PRELOAD: '1' } : {};
    const helloFor = new Map<string, string>();
    for (const stack of stacks) {
      for (const api of APIS) {
        const variables = functionVariables(stack, api);
        // The hello world runs with the same NODE_OPTIONS as the function it is compared with.
        const nodeOptions = variables.NODE_OPTIONS ?? '';
        if (!helloFor.has(nodeOptions)) {
          const name = `hello world${nodeOptions ? ` (${nodeOptions})` : ''}${suffix}`;
          helloFor.set(nodeOptions, name);
          const helloEnv = lambdaEnvironment('hello', REGION, CREDENTIALS, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
          cases.push({ name, module: HELLO_WORLD, env: { ...helloEnv, ...extra } });
        }
        cases.push({
          name: initCaseName(stack, api) + suffix,
          module: stack.functions[api].bundle,
          env: { ...lambdaEnvironment(stack.functions[api].logicalId, REGION, CREDENTIALS, variables), ...extra },
          comparedWith: helloFor.get(nodeOptions)!,
        });
      }
    }
    // The floors (bench/init-floor.ts, bench/libraries-floor.ts), with the last stack's IAM environment.
    const last = stacks[stacks.length - 1]!;
    const variables = functionVariables(last, 'iam');
    for (const [name, module] of Object.entries(floorBundles)) {
      cases.push({
        name: `${name}${suffix}`,
        module,
        env: { ...lambdaEnvironment('floor', REGION, CREDENTIALS, variables), ...extra },
        comparedWith: helloFor.get(variables.NODE_OPTIONS ?? '')!,
      });
    }
  }
  progress(`cold init: ${rounds} rounds of ${cases.length} processes on ${node}`);
  return measureColdInit({ node, cases, rounds, progress: (round) => round % 10 === 0 && progress(`cold init round ${round}/${rounds}`) });
}

function initPair(init: readonly InitResult[], name: string) {
  return { plain: init.find((row) => row.name === name)!, preload: init.find((row) => row.name === `${name} +preload`)! };
}

function initCaseName(stack: SynthesizedStack, api: ApiName): string {
  return `${stack.label}: ${api}`;
}

/**
 * A function's variables for the in-process hot path: the deployed values, with the local
 * services as endpoints, no cooldown (each address is resent right after its first mail) and RPC
 * account and client-IP limits high enough for thousands of bench mails.
 */
function hotPathEnvironment(stack: SynthesizedStack, api: ApiName, variables: Record<string, string>, services: LocalServices): Record<string, string> {
  return {
    ...variables,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_LAMBDA_FUNCTION_NAME: stack.functions[api].logicalId,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: services.dynamodbEndpoint,
    SES_ENDPOINT: services.sesEndpoint,
    TABLE_NAME: services.tableName,
    RESEND_COOLDOWN_SECONDS: '0',
    RPC_MAX_VERIFICATIONS_PER_DAY: '10000000',
    RPC_MAX_PER_CLIENT_IP_PER_HOUR: '10000000',
  };
}

function execVersion(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}

interface LocalServices {
  readonly dynamodbEndpoint: string;
  readonly sesEndpoint: string;
  readonly tableName: string;
  stop(): Promise<void>;
}

/** DynamoDB Local and the local SES in a child process (local/services-process.ts), stopped with it. */
async function startLocalServices(): Promise<LocalServices> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'services-process.ts'), '--table-name', BENCH_TABLE], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ dynamodbEndpoint: string; sesEndpoint: string; tableName: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('LOCAL_SERVICES_READY ')) resolve(JSON.parse(line.slice('LOCAL_SERVICES_READY '.length)));
      if (line.startsWith('LOCAL_SERVICES_FAILED ')) reject(new Error(line));
    });
    child.once('exit', (code) => reject(new Error(`local services exited (${code})`)));
  });
  child.stdout!.resume();
  return {
    ...ready,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

/** bench/hot-path.ts in a child on Node 24; its stdout (the functions' logs) is discarded. */
async function runHotPath(hotInput: HotPathInput): Promise<HotPathResults> {
  const inputFile = path.join(work, 'hot-path-input.json');
  const resultsFile = path.join(work, 'hot-path-results.json');
  writeFileSync(inputFile, JSON.stringify(hotInput));
  const child = spawn(node, ['--import', 'tsx', path.join(ROOT, 'bench', 'hot-path.ts'), inputFile, resultsFile], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the hot path failed (exit ${code})`);
  return JSON.parse(readFileSync(resultsFile, 'utf8')) as HotPathResults;
}
