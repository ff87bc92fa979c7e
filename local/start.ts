/**
 * `npm start`: DynamoDB Local + local SES + the table + the API on http://127.0.0.1:3000, calling
 * the real Lambda handlers with API Gateway proxy events, and the EmailVerified events read from
 * the table's stream, one JSON line each on stdout (the banner and the request log go elsewhere:
 * the banner before any event, the log on stderr). Ctrl-C stops all of it.
 *
 * Every setting is checked first (a bad one exits 1 with its message, before anything starts).
 * Environment: PORT (3000), SES_PORT (8005), DYNAMODB_PORT (8000), TABLE_NAME
 * (email-verification), EVENT_SOURCE; 0 for a port picks a free one. Everything else the handlers
 * read keeps its value, or gets the local default from local-environment.ts. Once up, it writes its
 * endpoints and the handlers' settings to LOCAL_STACK_FILE (.local/stack.json) for the CLI.
 */
import { pathToFileURL } from 'node:url';
import { createApiBridge, defaultRoutes, type BridgeRoute } from './api-gateway-bridge.js';
import { parseAllowedOrigins } from '../lambdas/http/cors.js';
import { ROUTES } from '../lambdas/routes.js';
import type { ServiceConfig } from '../src/config.js';
import { ConfigError, SETTINGS, readSetting } from '../src/settings.js';
import {
  LOCAL_HOST,
  applyEnvironment,
  checkLocalConfiguration,
  localEnvironment,
  localUrl,
  readLocalPorts,
  readTableName,
  restoreEnvironment,
} from './local-environment.js';
import { summarizeMetricsOn } from './metrics-summary.js';
import { assertPortFree, findFreePort } from './ports.js';
import { startLocalServices, type DynamoDbBinding } from './services.js';
import { handlerEnvironment, removeStackFile, stackFilePath, writeStackFile } from './stack-file.js';
import type { TableStreamReader } from './table-stream.js';
import { startVerifiedEventsReader, type EmailVerifiedEvent } from './verified-events.js';

export interface LocalStackOptions {
  /** API port; 0 picks a free one. Default 3000. */
  readonly port?: number;
  /** Local SES port; 0 picks a free one. Default 8005. */
  readonly sesPort?: number;
  /** DynamoDB Local port; 0 picks a free one. Default 8000. */
  readonly dynamodbPort?: number;
  readonly tableName?: string;
  /** Routes to serve instead of the real handlers (tests, stubs). */
  readonly routes?: readonly BridgeRoute[];
  /**
   * Load the handlers at start-up: 'warn' (default) reports a load failure on stderr and keeps
   * serving (the route answers 502 until the module loads), 'strict' fails the start, 'off' waits
   * for the first request.
   */
  readonly preload?: 'warn' | 'strict' | 'off';
  /** A line per API request. */
  readonly log?: (line: string) => void;
  /** Reads the table's stream and hands over each EmailVerified event (none read without it). */
  readonly verifiedEvents?: {
    readonly source: string;
    readonly onEvent: (event: EmailVerifiedEvent) => void;
    readonly onError?: (error: unknown) => void;
  };
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly sesEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly dynamodbBinding: DynamoDbBinding;
  readonly tableName: string;
  /** The handlers' configuration, as checked before the start. */
  readonly config: ServiceConfig;
  /** The variables set in process.env for the handlers. */
  readonly environment: Readonly<Record<string, string>>;
  /** The EmailVerified events' reader, when `verifiedEvents` was given. */
  readonly verifiedEventsReader?: TableStreamReader;
  /** Stops the event reader, the API, SES and DynamoDB Local and restores process.env; safe to call twice. */
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // Before any port or process: a setting the handlers would refuse fails the start, clearly.
  const config = checkLocalConfiguration(process.env);
  const requestedApiPort = options.port ?? SETTINGS.PORT.default;
  // Fail on a taken API port before spending seconds on Java.
  if (requestedApiPort !== 0) await assertPortFree(requestedApiPort, 'the API', 'PORT');
  const services = await startLocalServices({
    dynamodbPort: options.dynamodbPort ?? SETTINGS.DYNAMODB_PORT.default,
    sesPort: options.sesPort ?? SETTINGS.SES_PORT.default,
    tableName: options.tableName ?? readTableName(),
  });
  let previousEnv: Record<string, string | undefined> | undefined;
  let reader: TableStreamReader | undefined;
  try {
    if (options.verifiedEvents) {
      reader = await startVerifiedEventsReader({
        dynamodbEndpoint: services.dynamodbEndpoint,
        tableName: services.tableName,
        ...options.verifiedEvents,
      });
    }
    const apiPort = requestedApiPort === 0 ? await findFreePort() : requestedApiPort;
    const apiUrl = localUrl(apiPort);
    // The handlers read their configuration at import, so the environment comes first.
    const environment = localEnvironment({
      dynamodbEndpoint: services.dynamodbEndpoint,
      sesEndpoint: services.sesEndpoint,
      tableName: services.tableName,
      apiUrl,
    });
    previousEnv = applyEnvironment(environment);

    const bridge = createApiBridge({
      routes: options.routes ?? defaultRoutes(),
      log: options.log,
      // The handlers read the same variable: both sides of CORS agree, as in the stack.
      corsAllowedOrigins: parseAllowedOrigins(readSetting(process.env, 'CORS_ALLOWED_ORIGINS')),
    });
    await bridge.listen(apiPort, LOCAL_HOST);
    const preload = options.preload ?? 'warn';
    if (preload !== 'off') {
      try {
        await bridge.preload();
      } catch (error) {
        if (preload === 'strict') {
          await bridge.close();
          throw error;
        }
        process.stderr.write(
          `warning: a Lambda handler failed to load; its routes answer 502 until it loads:\n  ${(error as Error)?.message ?? error}\n`,
        );
      }
    }
    let stopping: Promise<void> | undefined;
    const eventsReader = reader;
    return {
      apiUrl,
      sesEndpoint: services.sesEndpoint,
      dynamodbEndpoint: services.dynamodbEndpoint,
      dynamodbBinding: services.dynamodbBinding,
      tableName: services.tableName,
      config,
      environment,
      ...(eventsReader ? { verifiedEventsReader: eventsReader } : {}),
      stop: () =>
        (stopping ??= (async () => {
          // The reader first: it polls DynamoDB Local, which is about to go.
          await eventsReader?.stop();
          await Promise.allSettled([bridge.close(), services.stop()]);
          if (previousEnv) restoreEnvironment(previousEnv);
        })()),
    };
  } catch (error) {
    await reader?.stop();
    await services.stop();
    if (previousEnv) restoreEnvironment(previousEnv);
    throw error;
  }
}

/** The banner `npm start` prints; its "Try it" lines run as shown (a test runs them). */
export function banner(stack: LocalStack): string {
  const url = (path: string) => `${stack.apiUrl}${path}`;
  const routeLines = Object.values(ROUTES).map(
    (route) => `    ${route.api.toUpperCase().padEnd(4)} ${route.method.padEnd(5)}${url(route.path)}`,
  );
  const cooldown = stack.config.quota.cooldownSeconds;
  const cli = 'npm run --silent verification --';
  const dynamodbNote = stack.dynamodbBinding === 'loopback' ? '' : '   (every interface: this Java has no compiler)';
  return [
    '',
    'Email verification service: local stack is up',
    '',
    `  API (API Gateway -> Lambda)   ${stack.apiUrl}`,
    ...routeLines,
    `  Inbox viewer (local SES)      ${stack.sesEndpoint}`,
    `  Inbox as JSON                 ${stack.sesEndpoint}/store`,
    `  DynamoDB Local                ${stack.dynamodbEndpoint}   (table ${stack.tableName})${dynamodbNote}`,
    '',
    `  Product name                  ${stack.config.productName}`,
    `  Sender                        ${stack.config.mailFrom}`,
    `  EmailVerified events (source ${readSetting(process.env, 'EVENT_SOURCE')}) print below, one JSON line each.`,
    '',
    `  RPC AccessKeyId               ${readSetting(process.env, 'RPC_ACCESS_KEY_ID')}`,
    `  RPC AccessKeySecret           ${readSetting(process.env, 'RPC_ACCESS_KEY_SECRET')}`,
    `  CORS origins (IAM routes)     ${readSetting(process.env, 'CORS_ALLOWED_ORIGINS') ?? 'none (set CORS_ALLOWED_ORIGINS)'}`,
    '',
    'Try it (in another terminal, from this folder):',
    `  TOKEN=$(${cli} start you@example.com)     # mails the first code`,
    ...(cooldown > 0 ? [`  sleep ${cooldown}                                   # RESEND_COOLDOWN_SECONDS: the first mail counts`] : []),
    `  curl -i -w '\\n' -X POST ${url(ROUTES.resendCode.path)} -H "Authorization: Bearer $TOKEN"`,
    `  CODE=$(${cli} code you@example.com)       # the newest code, from the local inbox`,
    `  curl -i -w '\\n' -X POST ${url(ROUTES.verifyCode.path)} -H "Authorization: Bearer $TOKEN" \\`,
    `       -H 'Content-Type: application/json' -d "{\\"code\\":\\"$CODE\\"}"`,
    '',
    'Each request logs a JSON line (LOG_LEVEL) and its metrics as "metrics ..." lines (EMF in AWS).',
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  // Before any SDK client exists: the SDK's "Node 20 support is ending" warning is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stack: LocalStack | undefined;
  let shuttingDown = false;
  const shutdown = (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stdout.write('\nStopping the local stack...\n');
    // process.exit runs the services' exit hook, which kills DynamoDB Local even mid-start.
    const hardStop = setTimeout(() => process.exit(code), 10_000);
    hardStop.unref();
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGHUP', () => shutdown(0));
  process.on('uncaughtException', (error) => {
    process.stderr.write(`fatal: ${error.stack ?? error}\n`);
    shutdown(1);
  });

  // The handlers print their metrics as EMF lines, as in Lambda: shown here one short line each.
  summarizeMetricsOn(process.stdout, (summary) => process.stderr.write(`${new Date().toISOString()} ${summary}\n`));
  let stackFile: string;
  try {
    const ports = readLocalPorts();
    stackFile = stackFilePath();
    stack = await startLocalStack({
      port: ports.apiPort,
      sesPort: ports.sesPort,
      dynamodbPort: ports.dynamodbPort,
      tableName: readTableName(),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      verifiedEvents: {
        source: readSetting(process.env, 'EVENT_SOURCE'),
        onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
        onError: (error) => process.stderr.write(`warning: reading the table stream failed: ${(error as Error)?.message ?? error}\n`),
      },
    });
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    process.stderr.write(
      error instanceof ConfigError ? `error: invalid configuration: ${message}\n` : `error: could not start the local stack: ${message}\n`,
    );
    process.exit(1);
  }
  if (shuttingDown) {
    await stack.stop();
    return;
  }
  // For the CLI: the endpoints and the handlers' settings, removed again on exit.
  writeStackFile(stackFile, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    apiUrl: stack.apiUrl,
    sesEndpoint: stack.sesEndpoint,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    tableName: stack.tableName,
    environment: handlerEnvironment(process.env),
  });
  process.on('exit', () => removeStackFile(stackFile));
  process.stdout.write(banner(stack));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) void main();
