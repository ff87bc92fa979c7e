/**
 * The README's commands, run as a reader runs them: `npm start` as written (on free ports), then
 * every shell block of "Try the IAM loop", "Call the RPC API" and "Configuration" in order, in one
 * bash, then the "Try it" lines `npm start` prints. The only change made to them is the ports
 * (127.0.0.1:3000 and :8005 become the stack's), since tests never take the default ports. The
 * commands CI runs itself (npm ci, npm test, the browser test, Node 24) must be in .ci/run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMailComposer } from '../../src/adapters/mail-template-folder.js';
import { BUILT_IN_TEMPLATES } from '../../src/domain/mail-composition.js';
import { SETTINGS } from '../../src/settings.js';
import type { StackFile } from '../../local/stack-file.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const CI_RUN = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
const WORK = path.join(ROOT, '.local', `readme-test-${process.pid}`);
const STACK_FILE = path.join(WORK, 'stack.json');

/** The text of a `## title` section. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README has no section "${title}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);
}

/** A block's commands without comments and blank lines. */
const commandsOf = (block: string) =>
  block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim())
    .filter(Boolean);

/** A shell environment as a reader's: none of the service's settings, no AWS or test variables. */
function readerEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name in SETTINGS || name.startsWith('AWS_') || name === 'NODE_OPTIONS' || name.startsWith('JEST')) continue;
    env[name] = value;
  }
  return { ...env, LOCAL_STACK_FILE: STACK_FILE, ...extra };
}

function runBash(script: string, cwd: string, timeoutMs: number): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', `set -e -o pipefail\n${script}`], {
    cwd,
    env: readerEnvironment({}),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

let stack: ChildProcess | undefined;
let stackOut = '';

beforeAll(() => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
});

afterAll(async () => {
  // After a failure midway: stop the stack (its process group) as Ctrl-C would.
  if (stack?.pid !== undefined && stack.exitCode === null && stack.signalCode === null) {
    const exited = new Promise((resolve) => stack!.once('exit', resolve));
    try {
      process.kill(-stack.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
    clearTimeout(timer);
  }
  stack?.stdout?.destroy();
  stack?.stderr?.destroy();
  rmSync(WORK, { recursive: true, force: true });
});

describe('README', () => {
  test('"Set up": its commands are what CI runs', () => {
    const commands = blocks(section('Set up'), 'sh').flatMap(commandsOf);
    expect(commands).toEqual(['npm ci', 'npm test', 'npm start', 'npm run test:browser']);
    for (const command of ['npm ci', 'npm test', 'npm run test:browser']) expect(CI_RUN).toMatch(new RegExp(`^\\s*${command}\\b`, 'm'));
    // The README, `engines` and CI agree on the Node versions: npm on 20 or later, every script
    // on the pinned Node 24, which is what this test itself runs on.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(section('Set up')).toContain('Needs Node.js 20 or later to run npm');
    expect(section('Set up')).toContain('every npm script (`npm test`, `npm start`,\nthe CLI) runs on Node 24');
    expect(CI_RUN).toMatch(/v24\.\*\) ;;/);
  });

  test('"RESEND_COOLDOWN_SECONDS=abc npm start" exits 1 with the setting\'s message, starting nothing', () => {
    expect(section('Set up')).toContain('`RESEND_COOLDOWN_SECONDS=abc npm start` exits 1');
    const result = spawnSync('bash', ['-c', 'RESEND_COOLDOWN_SECONDS=abc npm start'], {
      cwd: ROOT,
      env: readerEnvironment({ PORT: '0', SES_PORT: '0', DYNAMODB_PORT: '0' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: invalid configuration: RESEND_COOLDOWN_SECONDS must be an integer from 0 to 86400, got "abc"');
    expect(result.stdout).not.toContain('local stack is up');
    expect(existsSync(STACK_FILE)).toBe(false);
  });

  test('"Try the IAM loop", "Call the RPC API", "Configuration" and the banner\'s "Try it" lines work as written', async () => {
    const iam = blocks(section('Try the IAM loop'), 'sh');
    const rpc = blocks(section('Call the RPC API'), 'sh');
    const configuration = blocks(section('Configuration'), 'sh');
    // The loop starts the stack as the README says; the rest runs in another terminal.
    expect(commandsOf(iam[0]!)).toEqual(['RESEND_COOLDOWN_SECONDS=5 npm start']);
    // The example shown is the example run.
    expect(blocks(section('Call the RPC API'), 'js')).toEqual([readFileSync(path.join(ROOT, 'examples', 'rpc-quickstart.mjs'), 'utf8')]);

    stack = spawn('bash', ['-c', 'RESEND_COOLDOWN_SECONDS=5 exec npm start'], {
      cwd: ROOT,
      env: readerEnvironment({ PORT: '0', SES_PORT: '0', DYNAMODB_PORT: '0' }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (chunk: Buffer) => (stackOut += chunk.toString('utf8')));
    stack.stderr!.resume();
    const deadline = Date.now() + 120_000;
    while (!stackOut.includes('Ctrl-C stops everything.')) {
      if (stack.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${stackOut}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const running = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackFile;
    expect(running.environment.RESEND_COOLDOWN_SECONDS).toBe('5');
    const ported = (text: string) =>
      text.replaceAll('http://127.0.0.1:3000', running.apiUrl).replaceAll('http://127.0.0.1:8005', running.sesEndpoint);

    // "Another terminal": a folder inside the checkout, so `node examples/...` finds the packages.
    mkdirSync(path.join(WORK, 'examples'), { recursive: true });
    writeFileSync(path.join(WORK, 'examples', 'rpc-quickstart.mjs'), ported(readFileSync(path.join(ROOT, 'examples', 'rpc-quickstart.mjs'), 'utf8')));
    const script = [...iam.slice(1), ...rpc, ...configuration].map((block, index) => `echo "@@ block ${index + 1}"\n${ported(block)}`).join('\n');
    const run = runBash(script, WORK, 150_000);
    if (run.status !== 0) throw new Error(`the README's commands failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const out = run.stdout;

    // The IAM loop: the first code, a refused and then an accepted resend, then verified.
    const [, loop = '', chinese = '', quickstart = '', link = '', templates = ''] = out.split(/^@@ block \d+$/m);
    const statuses = [...loop.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));
    expect(statuses).toEqual([429, 201, 200]);
    expect(loop).toMatch(/^\d{6}$/m);
    expect(loop).toMatch(/retry-after: [1-5]\r?$/im);
    expect(loop).toContain('"code":400');
    expect(loop).toMatch(/\{"emailVerificationToken":"[\w-]+\.[\w-]+\.[\w-]+"\}/);
    expect(loop).toContain('{"email":"jane@example.com","emailVerified":true}');
    expect(chinese.trim()).toMatch(/^\d{6}$/);

    // The RPC example: the lists, a refusal with RetryAfter, then a resend that goes out.
    // What the example prints is what the README says it prints (the waits may be a second shorter).
    const printed = /It prints:\n\n```\n([\s\S]*?)```/.exec(section('Call the RPC API'))?.[1];
    expect(printed).toBeDefined();
    const seconds = (text: string) => text.replace(/RetryAfter \d+ s/g, 'RetryAfter N s').replace(/Waiting \d+ s/, 'Waiting N s');
    expect(seconds(quickstart.trim())).toBe(seconds(printed!.trim()));
    expect(quickstart).toMatch(/RetryAfter [1-5] s/);
    const url = link.trim();
    expect(url.startsWith(`${running.apiUrl}/email-verification?token=`)).toBe(true);
    const page = await fetch(url, { headers: { 'Accept-Language': 'en' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Confirm that <span class="email">alice@example.com</span> is your email address for Example App.');

    // Configuration: the built-in templates, written out, load as a template folder.
    expect(templates.trim()).toBe('');
    const written = path.join(WORK, 'my-templates');
    expect(readFileSync(path.join(written, 'zh', 'body.html'), 'utf8')).toBe(BUILT_IN_TEMPLATES.zh.html);
    expect(() => loadMailComposer({ productName: 'Acme', otpTtlSeconds: 600, mailTemplatesDir: written })).not.toThrow();

    // The banner's lines, as printed, from the checkout.
    const tryIt = /^Try it.*\n((?: {2}.*\n)+)/m.exec(stackOut)?.[1];
    expect(tryIt).toBeDefined();
    expect(tryIt).toContain('sleep 5');
    const banner = runBash(tryIt!.replace(/^ {2}/gm, ''), ROOT, 60_000);
    if (banner.status !== 0) throw new Error(`the banner's lines failed (${banner.status}):\n${banner.stdout}\n${banner.stderr}`);
    expect([...banner.stdout.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]))).toEqual([201, 200]);
    expect(banner.stdout).toContain('{"email":"you@example.com","emailVerified":true}');

    // Ctrl-C stops it all and takes the stack file with it.
    process.kill(-stack.pid!, 'SIGINT');
    const stopped = Date.now() + 20_000;
    while ((existsSync(STACK_FILE) || (await answers(running.dynamodbEndpoint)) || (await answers(running.apiUrl))) && Date.now() < stopped) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(existsSync(STACK_FILE)).toBe(false);
    expect(await answers(running.dynamodbEndpoint)).toBe(false);
    expect(await answers(running.apiUrl)).toBe(false);
  }, 300_000);
});
