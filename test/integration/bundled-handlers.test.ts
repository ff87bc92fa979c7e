/**
 * The Lambda bundles, built exactly as the stack's afterBundling step builds them (SDK trims
 * included), running on the functions' Node behind the local API Gateway bridge in a process of
 * their own, against DynamoDB Local, the local SES and a fake Secrets Manager that checks every
 * signature. What the trims could break is what this walks through: the cold start reading its
 * keys signed with environment credentials, the quota refusals and the reused nonce that rest on
 * `instanceof ConditionalCheckFailedException`, an error the bundles no longer register by class,
 * sends through the trimmed SES client, and the whole IAM and RPC loops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildLambdaBundle, type BuiltBundle } from '../../lib/bundling/lambda-bundle.js';
import { FUNCTIONS, ROUTES } from '../../lambdas/routes.js';
import { createLocalKeySecrets, startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../local/secrets-manager-stand-in.js';
import { node24 } from '../../local/node24.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { createServiceDependencies, type ServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress, freshAddresses } from '../support/fresh-address.js';
import { freshAccessKey, freshClientIp, openLink, popCoreClient, rpcRequest, submitPageForm, type SendLists } from '../support/rpc-clients.js';
import { extractCode, extractLink, mailsTo, type InboxMail } from '../support/ses-inbox.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = path.join(ROOT, 'test', 'support', 'bundle-host.ts');
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'ASIABUNDLETEST000000', secretAccessKey: 'bundle/test/secret/key/EXAMPLE0000000000', sessionToken: 'bundle-session-token' };
const COOLDOWN_SECONDS = 1;

interface Host {
  readonly url: string;
  stop(): Promise<void>;
}

const key = freshAccessKey('bundle');
let work: string;
let bundles: { iam: BuiltBundle; rpc: BuiltBundle };
let secretsManager: SecretsManagerStandIn;
let ARNS: ReturnType<typeof createLocalKeySecrets>;
let host: Host;
let deps: ServiceDependencies;
let coldStartReads: SecretsManagerStandIn['received'];

/** The functions' environment, as deployed (secret ARNs, no key material), on the local services. */
function functionEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  for (const name of ['NODE_OPTIONS', 'JWT_SIGNING_KEY', 'JWT_KEY_ID', 'OTP_HASH_KEY', 'RPC_ACCESS_KEY_ID', 'RPC_ACCESS_KEY_SECRET']) delete env[name];
  return {
    ...env,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    TOKEN_SIGNING_SECRET_ARN: ARNS.tokenSigning,
    OTP_HASH_SECRET_ARN: ARNS.otpHash,
    RPC_ACCESS_KEYS_SECRET_ARN: ARNS.rpcAccessKeys,
    RESEND_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    EXPOSE_ERROR_TRACES: 'true',
    ...overrides,
  };
}

async function startHost(env: Record<string, string>): Promise<Host> {
  const child: ChildProcess = spawn(node24(), ['--import', 'tsx', HOST, bundles.iam.file, bundles.rpc.file], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('BUNDLE_HOST_READY ')) resolve(line.slice('BUNDLE_HOST_READY '.length));
      if (line.startsWith('BUNDLE_HOST_FAILED ')) reject(new Error(JSON.parse(line.slice('BUNDLE_HOST_FAILED '.length)) as string));
    });
    child.once('exit', (code) => reject(new Error(`the bundle host exited (${code})`)));
  });
  child.stdout!.resume();
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'bundles-'));
  bundles = {
    iam: await buildLambdaBundle(path.join(ROOT, FUNCTIONS.iam.entry), path.join(work, 'iam')),
    rpc: await buildLambdaBundle(path.join(ROOT, FUNCTIONS.rpc.entry), path.join(work, 'rpc')),
  };
  secretsManager = await startSecretsManagerStandIn({ credentials: CREDENTIALS });
  ARNS = createLocalKeySecrets(secretsManager, REGION, { [key.accessKeyId]: key.accessKeySecret });
  host = await startHost(functionEnvironment());
  coldStartReads = [...secretsManager.received];
  // Tokens and records made by the service's own code, with the same (local) keys the fake serves.
  deps = createServiceDependencies(loadConfig(process.env), await loadServiceSecrets(process.env));
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await secretsManager?.close();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function post(route: { path: string }, token: string, body?: unknown) {
  const response = await fetch(`${host.url}${route.path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function onlyNewMail(address: string, before: number): Promise<InboxMail> {
  const mails = await mailsTo(address);
  expect(mails).toHaveLength(before + 1);
  return mails[mails.length - 1]!;
}

describe('the bundles as built for Lambda', () => {
  test('carry no createRequire banner and no ESM import of a builtin', () => {
    for (const bundle of Object.values(bundles)) {
      const code = readFileSync(bundle.file, 'utf8');
      expect(code).not.toContain('createRequire');
      expect(code).not.toMatch(/\bfrom\s*"node:/);
      expect(code).toContain('process.getBuiltinModule("node:https")');
    }
  });

  test('read their keys at cold start from Secrets Manager, signed with the environment credentials', () => {
    const read = coldStartReads.map((request) => request.secretId).sort();
    // Each bundle reads every secret its environment names: here both get all three (the stack
    // names two for IAM). Every request was signed (the fake answers no other).
    expect(read).toEqual([...Object.values(ARNS), ...Object.values(ARNS)].sort());
    expect(coldStartReads.every((request) => request.signed)).toBe(true);
    expect(coldStartReads.every((request) => request.headers['x-amz-security-token'] === CREDENTIALS.sessionToken)).toBe(true);
  });

  test('IAM: a resend inside the cooldown is refused (429), after it the code is mailed (201) and verifies', async () => {
    const email = freshAddress('bundle-iam');
    const token = await startEmailVerification(email, { dependencies: deps });

    const refused = await post(ROUTES.resendCode, token);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ group: 'user', code: 400 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    const resent = await post(ROUTES.resendCode, token);
    expect(resent.status).toBe(201);
    const code = extractCode(await onlyNewMail(email, 1));

    const wrong = await post(ROUTES.verifyCode, resent.body.emailVerificationToken as string, { code: code === '000000' ? '111111' : '000000' });
    expect([wrong.status, wrong.body.code]).toEqual([400, 408]);
    const verified = await post(ROUTES.verifyCode, resent.body.emailVerificationToken as string, { code });
    expect([verified.status, verified.body]).toEqual([200, { email, emailVerified: true }]);
  });

  test('IAM: a forged token is 401 with code 406', async () => {
    const forged = `${(await startEmailVerification(freshAddress('bundle-forged'), { dependencies: deps })).slice(0, -4)}AAAA`;
    const response = await post(ROUTES.resendCode, forged);
    expect([response.status, response.body.code]).toEqual([401, 406]);
  });

  test('RPC through pop-core: submit, a refused resend inside the cooldown, the mailed link verifies on the page', async () => {
    const client = popCoreClient(host.url, key);
    const [a, b] = freshAddresses(2, 'bundle-rpc') as [string, string];
    const ip = freshClientIp();
    const submitted = await client.request<SendLists>('SubmitEmailVerification', { Email: `${a},${b}`, UserClientIp: ip }, { method: 'POST' });
    expect(submitted.SuccessList.map((entry) => entry.Email)).toEqual([a, b]);

    const refused = await client.request<SendLists>('ResendEmailVerification', { Email: a, UserClientIp: ip });
    expect(refused.SuccessList).toEqual([]);
    expect(refused.FailList).toEqual([expect.objectContaining({ Email: a, Code: 'SendTokenQuotaExceeded' })]);

    const link = extractLink(await onlyNewMail(b, 0));
    const page = await openLink(link);
    expect(page.status).toBe(200);
    const confirmed = await submitPageForm(link, page.html);
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('Email address verified');
    const query = await client.request<{ VerificationStatus: number }>('QueryEmailVerification', { Email: b });
    expect(query.VerificationStatus).toBe(1);
  });

  test('RPC: a reused SignatureNonce is refused (the nonce registry)', async () => {
    const nonce = `bundle-nonce-${Date.now()}`;
    const params = { Action: 'QueryEmailVerification', Email: freshAddress('bundle-nonce'), Format: 'JSON' };
    const first = await rpcRequest(host.url, params, { key, nonce });
    expect(JSON.parse(first.text).Code).toBe('EmailNotSubmitted');
    const replay = await rpcRequest(host.url, params, { key, nonce });
    expect([replay.status, JSON.parse(replay.text).Code]).toEqual([400, 'SignatureNonceUsed']);
  });

  test('a DynamoDB error the bundle no longer registers by class still arrives with its wire message', async () => {
    const broken = await startHost(functionEnvironment({ TABLE_NAME: 'no-such-table', LOG_LEVEL: 'silent' }));
    try {
      const token = await startEmailVerification(freshAddress('bundle-no-table'), { dependencies: deps });
      const response = await fetch(`${broken.url}${ROUTES.resendCode.path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(500);
      const body = (await response.json()) as { group: string; traces: string[] };
      expect(body.group).toBe('user');
      expect(body.traces.join(' ')).toMatch(/non-existent table/i);
    } finally {
      await broken.stop();
    }
  });
});

describe('a bundle that cannot read its keys', () => {
  test('fails its cold start, naming the secret and the reason', async () => {
    const missing = `arn:aws:secretsmanager:${REGION}:123456789012:secret:MissingSecret-AbCdEf`;
    await expect(startHost(functionEnvironment({ OTP_HASH_SECRET_ARN: missing }))).rejects.toThrow(
      /ResourceNotFoundException[\s\S]*MissingSecret/,
    );
  });
});

