/**
 * `npm run keys -- show|add-rpc-key|remove-rpc-key|rotate-token-key`: the deployed stack's key
 * secrets in Secrets Manager (see key-secrets.ts for what each command does to them). It reads
 * the secret ARNs from `cdk-outputs.json` (written by `npm run deploy`) or takes them as options,
 * uses the AWS credentials and region of the shell (the region of each ARN wins), shows what it
 * will change and asks before it changes anything. Exit codes: 0 done, 1 failed or declined, 2 usage.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  masked,
  newRpcAccessKey,
  parseRpcAccessKeys,
  parseTokenSigningSecret,
  readSecret,
  rotatedTokenSecret,
  SECRET_OUTPUTS,
  withoutRpcAccessKey,
  writeSecret,
  type SecretName,
} from './key-secrets.js';

const USAGE = `usage: npm run keys -- <command> [options]

commands
  show                       the three secrets: token kids, OTP key length, RPC AccessKeyIds (secrets masked)
  add-rpc-key [--id <id>]    a new RPC AccessKeyId and secret next to the existing ones (printed once)
  remove-rpc-key <id>        an RPC AccessKeyId whose client has moved to a new one
  rotate-token-key           a new token signing key; the current one keeps verifying what it signed

options
  --reveal                   show: print the RPC access key secrets too
  --yes                      change without asking (CI); otherwise the command asks first
  --outputs <file>           stack outputs written by npm run deploy (default cdk-outputs.json)
  --stack <name>             the stack in that file (default EmailVerificationStack)
  --token-secret-arn <arn>, --otp-secret-arn <arn>, --rpc-keys-secret-arn <arn>
                             the secrets themselves, instead of the outputs file
`;

const NEW_INSTANCES_NOTE =
  'Functions read the keys at a cold start: instances already warm keep the old set until they are replaced. ' +
  'To apply it at once, start fresh instances, e.g. `aws lambda update-function-configuration --function-name <fn> ' +
  '--description "keys <date>"` for both functions (their names are in the stack\'s resources).';

export interface KeysIo {
  readonly write: (text: string) => void;
  /** Asks a yes/no question; absent when there is no terminal. */
  readonly ask?: (question: string) => Promise<string>;
  /** The Secrets Manager client for a region (the ARN's). */
  readonly client: (region: string) => SecretsManagerClient;
  readonly now?: () => Date;
  readonly cwd?: string;
}

export class UsageError extends Error {}

interface Command {
  readonly name: 'show' | 'add-rpc-key' | 'remove-rpc-key' | 'rotate-token-key';
  readonly argument?: string;
  readonly reveal: boolean;
  readonly yes: boolean;
  readonly id?: string;
  readonly arns: Readonly<Record<SecretName, string>>;
}

export function parseKeysArguments(argv: readonly string[], cwd = process.cwd()): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        reveal: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        id: { type: 'string' },
        outputs: { type: 'string' },
        stack: { type: 'string' },
        'token-secret-arn': { type: 'string' },
        'otp-secret-arn': { type: 'string' },
        'rpc-keys-secret-arn': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return 'help';
  const [name, argument, ...extra] = positionals;
  if (!['show', 'add-rpc-key', 'remove-rpc-key', 'rotate-token-key'].includes(name!)) throw new UsageError(`unknown command "${name}"`);
  if (name === 'remove-rpc-key' ? argument === undefined : argument !== undefined) {
    throw new UsageError(name === 'remove-rpc-key' ? 'remove-rpc-key needs the AccessKeyId to remove' : `unexpected argument "${argument}"`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return {
    name: name as Command['name'],
    ...(argument !== undefined ? { argument } : {}),
    reveal: values.reveal ?? false,
    yes: values.yes ?? false,
    ...(values.id !== undefined ? { id: values.id } : {}),
    arns: secretArns(values, cwd),
  };
}

/** The ARNs from the options, else from the stack outputs file. */
function secretArns(values: Record<string, string | boolean | undefined>, cwd: string): Record<SecretName, string> {
  const given = {
    tokenSigning: values['token-secret-arn'],
    otpHash: values['otp-secret-arn'],
    rpcAccessKeys: values['rpc-keys-secret-arn'],
  } as Record<SecretName, string | undefined>;
  const outputsFile = new URL(String(values.outputs ?? 'cdk-outputs.json'), pathToFileURL(`${cwd}/`));
  const stack = String(values.stack ?? 'EmailVerificationStack');
  let outputs: Record<string, string> = {};
  if (Object.values(given).some((arn) => arn === undefined) && existsSync(outputsFile)) {
    const file = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
    outputs = file[stack] ?? {};
    if (!file[stack]) throw new UsageError(`${outputsFile.pathname} has no outputs for stack ${stack} (it has ${Object.keys(file).join(', ') || 'none'})`);
  }
  const arns = {} as Record<SecretName, string>;
  for (const name of Object.keys(SECRET_OUTPUTS) as SecretName[]) {
    const arn = given[name] ?? outputs[SECRET_OUTPUTS[name]];
    if (arn === undefined) {
      throw new UsageError(
        `no ARN for the ${SECRET_OUTPUTS[name]} output: run npm run deploy (it writes cdk-outputs.json) or pass the ARNs ` +
          `(aws cloudformation describe-stacks --stack-name ${stack} --query "Stacks[0].Outputs")`,
      );
    }
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) throw new UsageError(`not a Secrets Manager ARN: ${arn}`);
    arns[name] = arn;
  }
  return arns;
}

const regionOf = (arn: string) => arn.split(':')[3]!;

/** Runs one command; resolves to the exit code. */
export async function runKeys(command: Command, io: KeysIo): Promise<number> {
  const now = io.now?.() ?? new Date();
  const clientFor = (arn: string) => io.client(regionOf(arn));
  const confirm = async (plan: string[]): Promise<boolean> => {
    io.write(`${plan.join('\n')}\n`);
    if (command.yes) return true;
    if (!io.ask) {
      io.write('Nothing changed: there is no terminal to ask. Run it again with --yes to confirm.\n');
      return false;
    }
    const answer = (await io.ask('Apply this change? [y/N] ')).trim().toLowerCase();
    if (answer === 'y' || answer === 'yes') return true;
    io.write('Nothing changed.\n');
    return false;
  };

  switch (command.name) {
    case 'show': {
      const [token, otp, rpc] = await Promise.all(
        (['tokenSigning', 'otpHash', 'rpcAccessKeys'] as const).map((name) => readSecret(clientFor(command.arns[name]), command.arns[name])),
      );
      const keyring = parseTokenSigningSecret(token!.text);
      const access = parseRpcAccessKeys(rpc!.text);
      const version = (secret: typeof token) => `version ${secret!.versionId ?? '?'}${secret!.createdDate ? ` of ${secret!.createdDate.toISOString()}` : ''}`;
      io.write(
        [
          `Token signing key   ${token!.arn}`,
          `  ${version(token)}`,
          `  signs with kid ${keyring.kid}; also verifies ${keyring.previous.map((entry) => `${entry.kid}${entry.retiredAt ? ` (retired ${entry.retiredAt})` : ''}`).join(', ') || 'no other kid'}`,
          `OTP hash key        ${otp!.arn}`,
          `  ${version(otp)}; ${otp!.text.length} characters (never shown)`,
          `RPC access keys     ${rpc!.arn}`,
          `  ${version(rpc)}`,
          ...Object.entries(access).map(([id, secret]) => `  AccessKeyId ${id}   AccessKeySecret ${command.reveal ? secret : masked(secret)}`),
          ...(command.reveal ? [] : ['  (--reveal prints the secrets)']),
          '',
        ].join('\n'),
      );
      return 0;
    }

    case 'add-rpc-key':
    case 'remove-rpc-key': {
      const arn = command.arns.rpcAccessKeys;
      const client = clientFor(arn);
      const current = parseRpcAccessKeys((await readSecret(client, arn)).text);
      const adding = command.name === 'add-rpc-key' ? newRpcAccessKey(current, now, command.id) : undefined;
      const next = adding ? { ...current, [adding.accessKeyId]: adding.accessKeySecret } : withoutRpcAccessKey(current, command.argument!);
      const plan = adding
        ? [`Add RPC AccessKeyId ${adding.accessKeyId} to ${arn}`, `  next to: ${Object.keys(current).join(', ')}`]
        : [`Remove RPC AccessKeyId ${command.argument} from ${arn}`, `  keeping: ${Object.keys(next).join(', ')}`];
      if (!(await confirm(plan))) return 1;
      const versionId = await writeSecret(client, arn, next, randomUUID());
      io.write(`Done: version ${versionId ?? '?'} is current; the previous one is AWSPREVIOUS.\n`);
      if (adding) {
        io.write(`  AccessKeyId      ${adding.accessKeyId}\n  AccessKeySecret  ${adding.accessKeySecret}\n`);
        io.write('Hand both to the client; `show --reveal` prints them again.\n');
      }
      io.write(`${NEW_INSTANCES_NOTE}\n`);
      return 0;
    }

    case 'rotate-token-key': {
      const arn = command.arns.tokenSigning;
      const client = clientFor(arn);
      const current = parseTokenSigningSecret((await readSecret(client, arn)).text);
      const { secret, dropped } = rotatedTokenSecret(current, now);
      const plan = [
        `Rotate the token signing key in ${arn}`,
        `  new kid ${secret.kid} signs from now on; ${current.kid} moves to "previous" and keeps verifying what it signed`,
        ...(dropped.length > 0 ? [`  drop ${dropped.join(', ')}: retired longer ago than any token or link lives`] : []),
      ];
      if (!(await confirm(plan))) return 1;
      const versionId = await writeSecret(client, arn, secret, randomUUID());
      io.write(`Done: version ${versionId ?? '?'} is current; the previous one is AWSPREVIOUS.\n`);
      io.write(
        `${NEW_INSTANCES_NOTE} Until every instance has the new kid, a token signed by a new instance can be refused by an old one ` +
          '(401 code 406, the user asks again): recycle both functions right after rotating.\n',
      );
      return 0;
    }
  }
}

async function main(): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseKeysArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const terminal = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  const clients = new Map<string, SecretsManagerClient>();
  try {
    return await runKeys(command, {
      write: (text) => process.stdout.write(text),
      ...(terminal ? { ask: (question: string) => terminal.question(question) } : {}),
      client: (region) => {
        if (!clients.has(region)) clients.set(region, new SecretsManagerClient({ region }));
        return clients.get(region)!;
      },
    });
  } finally {
    terminal?.close();
    for (const client of clients.values()) client.destroy();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const name = (error as Error)?.name;
      const hint =
        name === 'ResourceNotFoundException'
          ? ' (is the ARN of this account and region, and the stack still deployed?)'
          : name === 'AccessDeniedException'
            ? ' (these credentials may not read or change the secret)'
            : name === 'CredentialsProviderError'
              ? ' (no AWS credentials in this shell: aws configure, or AWS_PROFILE)'
              : '';
      process.stderr.write(`error: ${(error as Error)?.message ?? error}${hint}\n`);
      process.exit(1);
    },
  );
}
