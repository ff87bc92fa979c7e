/**
 * `npm run events` (events/refresh-events.ts), as events/README.md describes it: it re-signs the
 * RPC events, keeps whatever was edited by hand unless given a new value, and refuses an option
 * given empty. Run on a copy of the events, so the committed ones stay as they are.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent } from 'aws-lambda';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as APIGatewayProxyEvent;
const write = (file: string, event: APIGatewayProxyEvent) => writeFileSync(path.join(dir, file), JSON.stringify(event, null, 2));

function refresh(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'events', 'refresh-events.ts'), '--dir', dir, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'events-'));
  cpSync(path.join(ROOT, 'events'), dir, { recursive: true, filter: (source) => !source.endsWith('.ts') && !source.endsWith('.md') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('keeps hand-edited codes and addresses, takes a new token, and re-signs the RPC events', () => {
  const verify = read('verify-code.json');
  write('verify-code.json', { ...verify, body: JSON.stringify({ code: '654321' }) });
  const rpc = read('rpc-resend-get.json');
  write('rpc-resend-get.json', { ...rpc, queryStringParameters: { ...rpc.queryStringParameters, Email: 'carol@example.com' } });
  const nonceBefore = rpc.queryStringParameters!.SignatureNonce;

  const run = refresh('--token', 'a.b.c');
  expect(run.status).toBe(0);
  expect(JSON.parse(read('verify-code.json').body!)).toEqual({ code: '654321' });
  expect(read('verify-code.json').headers.Authorization).toBe('Bearer a.b.c');
  expect(read('resend-code.json').headers.Authorization).toBe('Bearer a.b.c');
  const signed = read('rpc-resend-get.json').queryStringParameters!;
  expect(signed.Email).toBe('carol@example.com');
  expect(signed.SignatureNonce).not.toBe(nonceBefore);
  expect(Math.abs(Date.parse(signed.Timestamp!) - Date.now())).toBeLessThan(60_000);
  expect(read('rpc-resend-post.json').body).toContain('Email=carol%40example.com');

  // A second run without options changes nothing that was given or edited.
  expect(refresh().status).toBe(0);
  expect(JSON.parse(read('verify-code.json').body!)).toEqual({ code: '654321' });
  expect(read('resend-code.json').headers.Authorization).toBe('Bearer a.b.c');
  expect(read('rpc-resend-get.json').queryStringParameters!.Email).toBe('carol@example.com');
}, 60_000);

test.each([
  [['--token', ''], /--token was given empty/],
  [['--email', ' '], /--email was given empty/],
  [['--code', '12345'], /--code must be the 6 digits of the mailed code/],
  [['--lang', 'fr'], /--lang must be en or zh/],
])('refuses %j with exit 2, writing nothing', (args, message) => {
  const before = readFileSync(path.join(dir, 'resend-code.json'), 'utf8');
  const run = refresh(...args);
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(readFileSync(path.join(dir, 'resend-code.json'), 'utf8')).toBe(before);
}, 60_000);
