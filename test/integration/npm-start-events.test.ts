/**
 * `npm start` as a person runs it (local/start.ts in its own process, its own DynamoDB Local and
 * SES on free ports): an address verified through its API shows up as one EmailVerified JSON
 * line on its stdout, and Ctrl-C (SIGINT) stops the stream reader and everything else cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { readSetting } from '../../src/settings.js';
import { freshAddress } from '../support/fresh-address.js';
import { linkToken, popCoreClient } from '../support/rpc-clients.js';
import { extractLink, waitForMailTo } from '../support/ses-inbox.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = 'test.npm-start';

let child: ChildProcess | undefined;
const lines: string[] = [];
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

afterAll(() => {
  // Only if a test failed half-way: the services' watchdog then takes DynamoDB Local down too.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The first stdout line matching `test`, waiting up to `timeoutMs`. */
async function lineMatching(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.find(test);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no such line within ${timeoutMs} ms; stdout so far:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const urlAfter = (label: string) => {
  const line = lines.find((candidate) => candidate.trimStart().startsWith(label));
  const url = line && /http:\/\/[0-9.]+:\d+/.exec(line)?.[0];
  if (!url) throw new Error(`no ${label} line in the banner`);
  return url;
};

test('an address verified through npm start prints one EmailVerified line; SIGINT stops it all', async () => {
  const env: Record<string, string | undefined> = { ...process.env, PORT: '0', SES_PORT: '0', DYNAMODB_PORT: '0', EVENT_SOURCE: SOURCE };
  // The mailed link then points at this npm start's own API, as it would for a person.
  delete env.PUBLIC_BASE_URL;
  child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  child.stderr!.resume();

  await lineMatching((line) => line.includes('Ctrl-C stops everything'), 60_000);
  const apiUrl = urlAfter('API (API Gateway -> Lambda)');
  const sesEndpoint = urlAfter('Inbox viewer (local SES)');
  const dynamodbPort = Number(new URL(urlAfter('DynamoDB Local')).port);
  expect(lines.some((line) => line.includes(`EmailVerified events (source ${SOURCE})`))).toBe(true);

  const key = { accessKeyId: readSetting({}, 'RPC_ACCESS_KEY_ID'), accessKeySecret: readSetting({}, 'RPC_ACCESS_KEY_SECRET') };
  const client = popCoreClient(apiUrl, key);
  const address = freshAddress('npm-start');
  await client.request('SubmitEmailVerification', { Email: address }, { method: 'POST' });
  const token = linkToken(extractLink(await waitForMailTo(address, { sesEndpoint })));
  await client.request('VerifyEmail', { Token: token }, { method: 'POST' });

  const isEvent = (line: string) => line.startsWith('{') && line.includes('"detail-type":"EmailVerified"') && line.includes(address);
  const eventLine = await lineMatching(isEvent, 10_000);
  expect(JSON.parse(eventLine)).toMatchObject({
    'detail-type': 'EmailVerified',
    source: SOURCE,
    detail: { email: address, method: 'link', api: 'rpc', accessKeyId: key.accessKeyId },
  });

  child.kill('SIGINT');
  const started = Date.now();
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(await canConnect(dynamodbPort)).toBe(false);
  // Exactly one event line, however long the reader ran.
  expect(lines.filter(isEvent)).toHaveLength(1);
}, 120_000);

/** True when a TCP connection to the port on loopback succeeds. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
