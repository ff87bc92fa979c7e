/**
 * DynamoDB Local + local SES + the table in a process of their own, for the jest global setup
 * (jest's globalSetup cannot load this TypeScript project's modules itself).
 *
 *   node --import tsx local/services-process.ts [--dynamodb-port N] [--ses-port N] [--table-name T]
 *
 * Ports default to 0 (free ports). When ready it prints one line on stdout:
 *   LOCAL_SERVICES_READY {"dynamodbEndpoint":...,"sesEndpoint":...,"tableName":...,"dynamodbPid":...,
 *                         "environment":{"set":{...},"unset":[...]}}  (see testEnvironment)
 * or, on failure, `LOCAL_SERVICES_FAILED <message as JSON string>` and exits 1.
 *
 * It stops everything and exits when its stdin closes (the parent died or let go), on
 * SIGINT/SIGTERM/SIGHUP, or when its parent process changes.
 */
import { startLocalServices, type LocalServices } from './services.js';
import { DEFAULT_TABLE_NAME, testEnvironment } from './local-environment.js';
import { parsePort } from './ports.js';

export const READY_MARKER = 'LOCAL_SERVICES_READY';
export const FAILED_MARKER = 'LOCAL_SERVICES_FAILED';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  let services: LocalServices | undefined;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    const hard = setTimeout(() => process.exit(code), 8_000);
    hard.unref();
    void (services?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => exit(0));
  process.on('uncaughtException', (error) => {
    process.stderr.write(`local services: ${error.stack ?? error}\n`);
    exit(1);
  });
  process.stdin.on('end', () => exit(0));
  process.stdin.on('close', () => exit(0));
  process.stdin.on('error', () => exit(0));
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit(0);
  }, 500).unref();

  try {
    services = await startLocalServices({
      dynamodbPort: parsePort(argument('--dynamodb-port'), '--dynamodb-port', 0),
      sesPort: parsePort(argument('--ses-port'), '--ses-port', 0),
      tableName: argument('--table-name') ?? DEFAULT_TABLE_NAME,
    });
  } catch (error) {
    process.stdout.write(`${FAILED_MARKER} ${JSON.stringify((error as Error)?.message ?? String(error))}\n`);
    exit(1);
    return;
  }
  if (exiting) return void services.stop();
  const { dynamodbEndpoint, sesEndpoint, tableName, dynamodbPid } = services;
  // The environment test processes need, from the one module that defines the local defaults.
  const environment = testEnvironment({ dynamodbEndpoint, sesEndpoint, tableName });
  process.stdout.write(`${READY_MARKER} ${JSON.stringify({ dynamodbEndpoint, sesEndpoint, tableName, dynamodbPid, environment })}\n`);
}

void main();
