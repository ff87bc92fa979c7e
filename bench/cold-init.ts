/**
 * Cold init: a fresh `node` per sample importing a handler module (its top-level await
 * included, so the secrets are read) with the environment the deployed function has, against
 * the same for a hello-world handler.
 *
 * All cases run in rounds, one process at a time, in an order that rotates each round, so drift
 * in the load of a shared machine falls on all of them alike; each case's figure is the median
 * over rounds of its ratio to the hello world of the same round. Wall time is spawn to exit of
 * the process; CPU time is the child's own (user + system) when its import is done.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('./init-runner.mjs', import.meta.url));
export const HELLO_WORLD = fileURLToPath(new URL('./hello-world.mjs', import.meta.url));

export interface InitCase {
  readonly name: string;
  readonly module: string;
  readonly env: Readonly<Record<string, string>>;
  /** The case (a hello world) this one is compared with; none for a hello world itself. */
  readonly comparedWith?: string;
}

export interface InitResult {
  readonly name: string;
  readonly comparedWith?: string;
  /** Medians of the samples, ms. */
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Medians over rounds of the ratio to `comparedWith` in the same round. */
  readonly wallRatio: number;
  readonly cpuRatio: number;
}

interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

/** What Lambda puts in every function's environment, with fake credentials, plus `variables`. */
export function lambdaEnvironment(functionName: string, region: string, credentials: BenchCredentials, variables: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: mkdtempSync(path.join(tmpdir(), 'lambda-home-')),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    ...variables,
  };
}

export interface BenchCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

function sample(node: string, modulePath: string, env: Readonly<Record<string, string>>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, [RUNNER, path.resolve(modulePath)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${modulePath} exited ${code}: ${err.slice(0, 2000)}`));
      const { cpu } = JSON.parse(out) as { ready: number; cpu: number };
      resolve({ wall, cpu });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function measureColdInit(options: {
  readonly node: string;
  readonly cases: readonly InitCase[];
  readonly rounds: number;
  readonly warmupRounds?: number;
  readonly progress?: (round: number) => void;
}): Promise<InitResult[]> {
  const { node, cases, rounds } = options;
  const warmup = options.warmupRounds ?? 2;
  const samples = new Map(cases.map((c) => [c.name, { wall: [] as number[], cpu: [] as number[], wallRatio: [] as number[], cpuRatio: [] as number[] }]));
  for (let round = -warmup; round < rounds; round++) {
    const shift = ((round % cases.length) + cases.length) % cases.length;
    const order = cases.map((_, index) => cases[(index + shift) % cases.length]!);
    const taken = new Map<string, Sample>();
    for (const c of order) taken.set(c.name, await sample(node, c.module, c.env));
    if (round < 0) continue;
    for (const c of cases) {
      const own = taken.get(c.name)!;
      const entry = samples.get(c.name)!;
      entry.wall.push(own.wall);
      entry.cpu.push(own.cpu);
      if (c.comparedWith) {
        const base = taken.get(c.comparedWith)!;
        entry.wallRatio.push(own.wall / base.wall);
        entry.cpuRatio.push(own.cpu / base.cpu);
      }
    }
    options.progress?.(round + 1);
  }
  return cases.map((c) => {
    const entry = samples.get(c.name)!;
    return {
      name: c.name,
      ...(c.comparedWith ? { comparedWith: c.comparedWith } : {}),
      wallMs: median(entry.wall),
      cpuMs: median(entry.cpu),
      wallRatio: c.comparedWith ? median(entry.wallRatio) : 1,
      cpuRatio: c.comparedWith ? median(entry.cpuRatio) : 1,
    };
  });
}
