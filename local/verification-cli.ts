/**
 * Local CLI for the verification loop, against the running local stack (`npm start`):
 *
 *   npm run --silent verification -- start <email> [--lang en|zh]
 *   npm run --silent verification -- code <email>
 *   npm run --silent verification -- link <email>
 *
 * `start` creates the pending verification, mails the first code and prints the email
 * verification token; `code` and `link` print the code and the verification link of the newest
 * mail to <email> in the local inbox. Each prints exactly one line on stdout, so
 * `TOKEN=$(npm run --silent verification -- start you@example.com)` works; everything else
 * (errors, logs, SDK warnings) goes to stderr. Exit codes: 0 done, 1 failed, 2 usage.
 *
 * It takes its endpoints and every setting from the running stack (the file `npm start` writes,
 * LOCAL_STACK_FILE), so it signs, mails and words the mail exactly as the stack's handlers do.
 */
import { verificationCodeIn, verificationLinkIn, isAddressedTo, readInbox } from './local-inbox.js';
import { applyEnvironment } from './local-environment.js';
import { readStackFile, stackFilePath, type StackFile } from './stack-file.js';

// Only the answer may reach stdout: route every other write (console.log in libraries, request
// logs) to stderr, and keep the real stdout for the answer.
const writeToStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const USAGE = `usage: npm run --silent verification -- <command> <email>

  start <email> [--lang en|zh]   create a pending verification for <email> on the running local
                                 stack (npm start), mail the first code (in English, or Chinese
                                 with --lang zh) and print the email verification token
  code <email>                   print the code in the newest mail to <email> (local inbox)
  link <email>                   print the verification link in the newest mail to <email>
                                 (mails of the RPC API carry one; the IAM API's carry a code only)
`;

class UsageError extends Error {}

type Command = { readonly name: 'start'; readonly email: string; readonly lang: 'en' | 'zh' } | { readonly name: 'code' | 'link'; readonly email: string };

function parseArguments(argv: readonly string[]): Command | 'help' {
  const args = [...argv];
  if (args.length === 0 || args.includes('--help') || args.includes('-h') || args[0] === 'help') return 'help';
  const name = args.shift();
  if (name !== 'start' && name !== 'code' && name !== 'link') throw new UsageError(`unknown command "${name}"`);
  let lang: 'en' | 'zh' = 'en';
  const positional: string[] = [];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (name === 'start' && (arg === '--lang' || arg.startsWith('--lang='))) {
      const value = arg === '--lang' ? args.shift() : arg.slice('--lang='.length);
      if (value !== 'en' && value !== 'zh') throw new UsageError('--lang must be "en" or "zh"');
      lang = value;
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option "${arg}" for ${name}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'missing <email>' : 'expected exactly one <email>');
  return name === 'start' ? { name, email: positional[0]!, lang } : { name, email: positional[0]! };
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

async function start(stack: StackFile, email: string, lang: 'en' | 'zh'): Promise<string> {
  // The library reads its configuration from the environment when it is imported: the stack's.
  applyEnvironment({ ...stack.environment, DYNAMODB_ENDPOINT: stack.dynamodbEndpoint, SES_ENDPOINT: stack.sesEndpoint, TABLE_NAME: stack.tableName });
  const { normalizeEmailAddress } = await import('../src/domain/address.js');
  try {
    normalizeEmailAddress(email);
  } catch (error) {
    throw new Error(`"${email}" is not a valid email address (${(error as Error).message})`);
  }
  const { startEmailVerification } = await import('../src/start-email-verification.js');
  const { AlreadyVerifiedError } = await import('../src/domain/errors.js');
  try {
    return await startEmailVerification(email, { lang });
  } catch (error) {
    if (error instanceof AlreadyVerifiedError) throw new Error(`${email} is already verified on this stack; try another address`);
    throw error;
  }
}

async function fromNewestMail(stack: StackFile, email: string, what: 'code' | 'link'): Promise<string> {
  const mails = (await readInbox(stack.sesEndpoint)).filter((mail) => isAddressedTo(mail, email));
  const newest = mails[mails.length - 1];
  if (newest === undefined) throw new Error(`no mail to ${email} in the local inbox (${stack.sesEndpoint})`);
  const found = what === 'code' ? verificationCodeIn(newest) : verificationLinkIn(newest);
  if (found === undefined) {
    throw new Error(
      what === 'link'
        ? `the newest mail to ${email} has no link (mails of the IAM API carry only the code; the RPC API's carry a link)`
        : `the newest mail to ${email} ("${newest.subject}") has no 6-digit code`,
    );
  }
  return found;
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
    const stack = readStackFile(stackFilePath());
    const answer =
      command.name === 'start' ? await start(stack, command.email, command.lang) : await fromNewestMail(stack, command.email, command.name);
    await new Promise<void>((resolve) => writeToStdout(`${answer}\n`, () => resolve()));
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${describe(error)}\n`);
    return 1;
  }
}

// Exit explicitly: SDK keep-alive sockets would otherwise hold the process open for a while.
void main().then((code) => process.exit(code));
