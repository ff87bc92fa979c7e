/**
 * `npm run smoke -- --url <ApiUrl> [--rpc-key-id <id> --rpc-key-secret <secret>] [--send-to <address> [--inbox <url>]]`
 *
 * Probes a deployed stack (or `npm start`) from outside: one PASS, FAIL or SKIP line per check,
 * with what is likely wrong under each failure, then a summary line. Exit codes: 0 every check
 * that ran passed, 1 a check failed, 2 usage.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { runSmoke, type CheckResult, type SmokeOptions } from './smoke-checks.js';

const USAGE = `usage: npm run smoke -- --url <ApiUrl> [options]

  --url <url>              the stack's ApiUrl output (https://<id>.execute-api.<region>.amazonaws.com/prod/),
                           a custom domain with its base path, or npm start's URL (http://127.0.0.1:3000)
  --rpc-key-id <id>        an RPC access key of the stack (npm run keys -- show); enables the signed checks
  --rpc-key-secret <s>     its secret
  --send-to <address>      also run the whole loop: submit, read the link, verify (mails this address;
                           in the SES sandbox it must be a verified identity)
  --inbox <url>            read that mail from a local SES (npm start's inbox, http://127.0.0.1:8005)
                           instead of asking for the link
  --timeout <seconds>      per request (default 15)
`;

class UsageError extends Error {}

export function parseSmokeArguments(argv: readonly string[]): SmokeOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        'rpc-key-id': { type: 'string' },
        'rpc-key-secret': { type: 'string' },
        'send-to': { type: 'string' },
        inbox: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (!values.url) throw new UsageError('--url is required');
  if (!/^https?:\/\/[^/]+/.test(values.url)) throw new UsageError(`--url must start with http:// or https://, got "${values.url}"`);
  const keyId = values['rpc-key-id'];
  const keySecret = values['rpc-key-secret'];
  if ((keyId === undefined) !== (keySecret === undefined)) throw new UsageError('give both --rpc-key-id and --rpc-key-secret, or neither');
  const timeout = values.timeout === undefined ? 15 : Number(values.timeout);
  if (!(timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  return {
    url: values.url,
    ...(keyId !== undefined && keySecret !== undefined ? { rpcKey: { accessKeyId: keyId, accessKeySecret: keySecret } } : {}),
    ...(values['send-to'] !== undefined ? { sendTo: values['send-to'] } : {}),
    ...(values.inbox !== undefined ? { inbox: values.inbox } : {}),
    timeoutMs: timeout * 1000,
  };
}

/** One check as the lines a person reads. */
export function formatResult(result: CheckResult): string {
  const label = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[result.status];
  const lines = [`${label}  ${result.name}${result.status === 'skip' ? '' : ` (${result.ms} ms)`}`];
  lines.push(`      ${result.status === 'skip' ? 'skipped: ' : result.status === 'fail' ? 'got: ' : ''}${result.detail.replace(/^got /, '')}`);
  if (result.hint) lines.push(`      likely: ${result.hint}`);
  return lines.join('\n');
}

/** `smoke: 5 passed, 0 failed, 2 skipped` */
export function summaryLine(results: readonly CheckResult[]): string {
  const count = (status: CheckResult['status']) => results.filter((result) => result.status === status).length;
  return `smoke: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
}

async function main(): Promise<number> {
  let options: SmokeOptions | 'help';
  try {
    options = parseSmokeArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const terminal = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  try {
    process.stdout.write(`smoke test of ${options.url}\n`);
    const results = await runSmoke(
      { ...options, ...(terminal ? { ask: (question: string) => terminal.question(question) } : {}) },
      (result) => process.stdout.write(`${formatResult(result)}\n`),
    );
    process.stdout.write(`${summaryLine(results)}\n`);
    return results.some((result) => result.status === 'fail') ? 1 : 0;
  } finally {
    terminal?.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error)?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
