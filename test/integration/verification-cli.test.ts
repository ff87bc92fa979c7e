/**
 * `npm run verification` (local/verification-cli.ts) against a stack described by a stack file,
 * as `npm start` writes it: the CLI must mail with the stack's settings (sender with a display
 * name, product name, code lifetime), print one line on stdout, and read codes and links from
 * the local inbox. The stack here is the jest global setup's DynamoDB Local and local SES.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlerEnvironment, writeStackFile } from '../../local/stack-file.js';
import { SETTINGS } from '../../src/settings.js';
import { freshAddress } from '../support/fresh-address.js';
import { extractCode, waitForMailTo } from '../support/ses-inbox.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'verification-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with only the stack file to go on: none of the service's settings in its own environment. */
function cli(stackFile: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!(name in SETTINGS) && name !== 'NODE_OPTIONS') env[name] = value;
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'verification-cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...env, LOCAL_STACK_FILE: stackFile },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stackFile(name: string, settings: Record<string, string>, pid = process.pid): string {
  const file = path.join(dir, `${name}.json`);
  writeStackFile(file, {
    pid,
    startedAt: new Date().toISOString(),
    apiUrl: 'http://127.0.0.1:9',
    sesEndpoint: process.env.SES_ENDPOINT!,
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName: process.env.TABLE_NAME!,
    environment: { ...handlerEnvironment(process.env), ...settings },
  });
  return file;
}

test("start mails with the running stack's settings, and code prints the code from the inbox", async () => {
  const file = stackFile('acme', { MAIL_FROM: 'Acme Shop <no-reply@acme.example>', PRODUCT_NAME: 'Acme Shop', OTP_TTL_SECONDS: '90' });
  const address = freshAddress('cli');
  const started = cli(file, 'start', address, '--lang', 'zh');
  expect([started.status, started.stderr]).toEqual([0, '']);
  expect(started.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const mail = await waitForMailTo(address);
  expect(mail.from).toBe('Acme Shop <no-reply@acme.example>');
  expect(mail.subject).toBe('您的 Acme Shop 邮箱验证码');
  expect(mail.body.text).toContain('验证码在 1 分钟 30 秒内有效。');
  const code = cli(file, 'code', address);
  expect([code.status, code.stdout]).toEqual([0, `${extractCode(mail)}\n`]);
  const link = cli(file, 'link', address);
  expect(link.status).toBe(1);
  expect(link.stderr).toContain(`error: the newest mail to ${address} has no link (mails of the IAM API carry only the code`);
}, 60_000);

test('without a running stack it says how to start one', () => {
  const missing = cli(path.join(dir, 'none.json'), 'code', 'a@example.com');
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/error: no local stack is running \(.*none\.json does not exist\)\. Start it with `npm start`/);
  // A stack file left by a stack that is gone (a pid that cannot exist).
  const stale = cli(stackFile('stale', {}, 2 ** 22 + 1), 'start', 'a@example.com');
  expect(stale.status).toBe(1);
  expect(stale.stderr).toMatch(/is no longer running\. Start it with `npm start`/);
}, 60_000);

test.each([
  [['start'], /missing <email>/],
  [['start', 'a@example.com', '--lang', 'fr'], /--lang must be "en" or "zh"/],
  [['code', 'a@example.com', '--lang', 'zh'], /unknown option "--lang" for code/],
  [['verify', 'a@example.com'], /unknown command "verify"/],
])('usage error %j: exit 2 with the usage', (args, message) => {
  const result = cli(path.join(dir, 'none.json'), ...args);
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toContain('usage: npm run --silent verification -- <command> <email>');
  expect(result.stdout).toBe('');
}, 60_000);
