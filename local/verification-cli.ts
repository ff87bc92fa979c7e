/**
 * Local CLI for the start of the IAM verification loop, against the running local stack
 * (`npm start`):
 *
 *   npm run --silent verification -- start <email> [--lang en|zh]
 *
 * Creates the pending verification, mails the first code (see the inbox at
 * http://127.0.0.1:8005) and prints the email verification token as the only line on stdout,
 * so `TOKEN=$(npm run --silent verification -- start you@example.com)` works. Everything else
 * (errors, logs, SDK warnings) goes to stderr. Exit codes: 0 done, 1 failed, 2 usage.
 *
 * Uses the same environment as `npm start` (PORT, SES_PORT, DYNAMODB_PORT, TABLE_NAME and the
 * local defaults in local-environment.ts), so both agree on endpoints and keys.
 */
import {
  applyEnvironment,
  localEnvironmentForPorts,
  localUrl,
  readLocalPorts,
  type LocalPorts,
} from './local-environment.js';
import { canConnect } from './ports.js';

// Only the token may reach stdout: route every other write (console.log in libraries, request
// logs) to stderr, and keep the real stdout for the token.
const writeToStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const USAGE = `usage: npm run --silent verification -- start <email> [--lang en|zh]

  start <email>   create a pending verification for <email> on the running local stack
                  (npm start), mail the first code, and print the token on stdout.
`;

class UsageError extends Error {}

interface Command {
  readonly email: string;
  readonly lang: 'en' | 'zh';
}

function parseArguments(argv: readonly string[]): Command | 'help' {
  const args = [...argv];
  if (args.length === 0 || args.includes('--help') || args.includes('-h') || args[0] === 'help') return 'help';
  const command = args.shift();
  if (command !== 'start') throw new UsageError(`unknown command "${command}"`);
  let lang: 'en' | 'zh' = 'en';
  const positional: string[] = [];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--lang' || arg.startsWith('--lang=')) {
      const value = arg === '--lang' ? args.shift() : arg.slice('--lang='.length);
      if (value !== 'en' && value !== 'zh') throw new UsageError('--lang must be "en" or "zh"');
      lang = value;
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option "${arg}"`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'missing <email>' : 'expected exactly one <email>');
  return { email: positional[0]!, lang };
}

async function sesAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`${localUrl(port)}/health-check`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function assertStackRunning(ports: LocalPorts): Promise<void> {
  const [dynamodb, ses] = await Promise.all([canConnect(ports.dynamodbPort), sesAnswers(ports.sesPort)]);
  const missing = [
    dynamodb ? undefined : `DynamoDB Local at ${localUrl(ports.dynamodbPort)}`,
    ses ? undefined : `the local SES at ${localUrl(ports.sesPort)}`,
  ].filter((item): item is string => item !== undefined);
  if (missing.length > 0) {
    throw new Error(
      `the local stack is not running: nothing answers for ${missing.join(' or ')}. ` +
        'Start it with `npm start` in another terminal (same PORT/SES_PORT/DYNAMODB_PORT), then try again.',
    );
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  const text = parts.join(': ');
  if (/non-existent table|ResourceNotFound/i.test(text)) {
    return `${text} (is the service on DYNAMODB_PORT the one \`npm start\` runs? it creates the table)`;
  }
  return text;
}

async function main(): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    process.stderr.write(USAGE);
    return 0;
  }

  try {
    const ports = readLocalPorts();
    // The library reads its configuration from the environment when it is imported.
    applyEnvironment(localEnvironmentForPorts(ports));

    const { normalizeEmailAddress } = await import('../src/domain/address.js');
    try {
      normalizeEmailAddress(command.email);
    } catch (error) {
      throw new Error(`"${command.email}" is not a valid email address (${(error as Error).message})`);
    }
    await assertStackRunning(ports);

    const { startEmailVerification } = await import('../src/start-email-verification.js');
    const token = await startEmailVerification(command.email, { lang: command.lang });
    await new Promise<void>((resolve) => writeToStdout(`${token}\n`, () => resolve()));
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${describe(error)}\n`);
    return 1;
  }
}

// Exit explicitly: SDK keep-alive sockets would otherwise hold the process open for a while.
void main().then((code) => process.exit(code));
