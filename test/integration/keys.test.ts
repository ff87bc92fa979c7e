/**
 * `npm run keys` against a local stand-in for Secrets Manager (test/support), through the real
 * SDK v3 client: the requests, signatures and error shapes are the SDK's own, so the commands are
 * tested as they talk to AWS. What a stand-in cannot show (IAM permissions, KMS) is not claimed.
 * After each change the service's own secret loader reads the result, and for a new RPC key the
 * real RPC handler accepts a call signed with it by the unmodified Aliyun client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRpcHandler } from '../../lambdas/rpc/rpc-api.js';
import { bridgeRoutes, createApiBridge, type ProxyHandler } from '../../local/api-gateway-bridge.js';
import { masked, randomKey, RETIRED_KEY_KEEP_SECONDS } from '../../ops/key-secrets.js';
import { parseKeysArguments, runKeys, UsageError, type KeysIo } from '../../ops/keys.js';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { loadConfig } from '../../src/config.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import { VerificationTokens } from '../../src/domain/verification-token.js';
import { createServiceDependencies } from '../../src/service-dependencies.js';
import { popCoreClient, rejection } from '../support/rpc-clients.js';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../local/secrets-manager-stand-in.js';

const REGION = 'ap-southeast-2';
const TOKEN_SETTINGS = { issuer: 'email-verification-service', audience: 'email-verification', ttlSeconds: 3600 };

let standIn: SecretsManagerStandIn;
const clients: SecretsManagerClient[] = [];
beforeAll(async () => {
  standIn = await startSecretsManagerStandIn();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await standIn.close();
});

function client(region: string): SecretsManagerClient {
  const created = new SecretsManagerClient({ region, endpoint: standIn.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  clients.push(created);
  return created;
}

interface Deployed {
  arns: { tokenSigning: string; otpHash: string; rpcAccessKeys: string };
  rpcDefaultSecret: string;
  otpKey: string;
  tokenKey: string;
}

/** The three secrets as a fresh deploy leaves them (Secrets Manager generates 64/64/40 characters). */
function deploy(extraPrevious: unknown[] = []): Deployed {
  const tokenKey = randomKey(64);
  const otpKey = randomKey(64);
  const rpcDefaultSecret = randomKey(40);
  const arns = {
    tokenSigning: standIn.create('TokenSigningSecret', JSON.stringify({ kid: 'k1', key: tokenKey, ...(extraPrevious.length ? { previous: extraPrevious } : {}) }), REGION),
    otpHash: standIn.create('OtpHashSecret', otpKey, REGION),
    rpcAccessKeys: standIn.create('RpcAccessKeysSecret', JSON.stringify({ 'rpc-default': rpcDefaultSecret }), REGION),
  };
  return { arns, rpcDefaultSecret, otpKey, tokenKey };
}

function io(answers: string[] = [], now = new Date()): KeysIo & { output: () => string; questions: string[] } {
  let output = '';
  const questions: string[] = [];
  return {
    write: (text) => (output += text),
    ask: async (question) => {
      questions.push(question);
      return answers.shift() ?? '';
    },
    client,
    now: () => now,
    output: () => output,
    questions,
  };
}

const command = (deployed: Deployed, ...args: string[]) => {
  const parsed = parseKeysArguments(
    [
      ...args,
      '--token-secret-arn',
      deployed.arns.tokenSigning,
      '--otp-secret-arn',
      deployed.arns.otpHash,
      '--rpc-keys-secret-arn',
      deployed.arns.rpcAccessKeys,
    ],
    tmpdir(),
  );
  if (parsed === 'help') throw new Error('help');
  return parsed;
};

const putCount = () => standIn.requests.filter((request) => request.operation === 'PutSecretValue').length;

/** The service's own loader, reading the stand-in as a function does at cold start. */
function loadAsFunction(deployed: Deployed) {
  return loadServiceSecrets({
    TOKEN_SIGNING_SECRET_ARN: deployed.arns.tokenSigning,
    OTP_HASH_SECRET_ARN: deployed.arns.otpHash,
    RPC_ACCESS_KEYS_SECRET_ARN: deployed.arns.rpcAccessKeys,
    // What the function's environment holds in Lambda, with the stand-in as the endpoint.
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint,
  });
}

describe('show', () => {
  test('kids, the OTP key length and the RPC AccessKeyIds; secrets masked unless --reveal, key material never', async () => {
    const deployed = deploy();
    const before = putCount();
    const shown = io();
    expect(await runKeys(command(deployed, 'show'), shown)).toBe(0);
    const text = shown.output();
    expect(text).toContain(deployed.arns.tokenSigning);
    expect(text).toMatch(/signs with kid k1; also verifies no other kid/);
    expect(text).toMatch(/64 characters \(never shown\)/);
    expect(text).toContain(`AccessKeyId rpc-default   AccessKeySecret ${masked(deployed.rpcDefaultSecret)}`);
    for (const secret of [deployed.rpcDefaultSecret, deployed.otpKey, deployed.tokenKey]) expect(text).not.toContain(secret);

    const revealed = io();
    await runKeys(command(deployed, 'show', '--reveal'), revealed);
    expect(revealed.output()).toContain(`AccessKeySecret ${deployed.rpcDefaultSecret}`);
    expect(revealed.output()).not.toContain(deployed.tokenKey);
    expect(revealed.output()).not.toContain(deployed.otpKey);
    expect(putCount()).toBe(before);
    expect(shown.questions).toEqual([]);
  });

  test('every request is signed for the region in the ARN', async () => {
    const deployed = deploy();
    const from = standIn.requests.length;
    await runKeys(command(deployed, 'show'), io());
    expect(standIn.requests.slice(from)).toEqual(Array(3).fill({ operation: 'GetSecretValue', region: REGION }));
  });
});

describe('add-rpc-key', () => {
  test('a new AccessKeyId next to the old one, after asking; the real RPC handler accepts it', async () => {
    const deployed = deploy();
    const terminal = io(['y']);
    expect(await runKeys(command(deployed, 'add-rpc-key', '--id', 'partner-2026'), terminal)).toBe(0);
    expect(terminal.questions).toEqual(['Apply this change? [y/N] ']);
    const stored = JSON.parse(standIn.valueOf(deployed.arns.rpcAccessKeys)!) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['partner-2026', 'rpc-default']);
    expect(stored['rpc-default']).toBe(deployed.rpcDefaultSecret);
    expect(stored['partner-2026']).toMatch(/^[A-Za-z0-9]{40}$/);
    // Printed once, for the client; the old value is kept as AWSPREVIOUS.
    expect(terminal.output()).toContain(`AccessKeySecret  ${stored['partner-2026']}`);
    expect(JSON.parse(standIn.valueOf(deployed.arns.rpcAccessKeys, 'AWSPREVIOUS')!)).toEqual({ 'rpc-default': deployed.rpcDefaultSecret });
    expect(terminal.output()).toMatch(/instances already warm keep the old set/);

    // A new function instance: secrets read through the same SDK path, the real RPC handler, pop-core.
    const secrets = await loadAsFunction(deployed);
    expect([...secrets.rpcAccessKeys.keys()].sort()).toEqual(['partner-2026', 'rpc-default']);
    const env = { ...process.env };
    for (const name of ['TOKEN_SIGNING_SECRET_ARN', 'OTP_HASH_SECRET_ARN', 'RPC_ACCESS_KEYS_SECRET_ARN']) delete env[name];
    const handler = createRpcHandler(createServiceDependencies(loadConfig(env), secrets)) as unknown as ProxyHandler;
    const bridge = createApiBridge({ routes: bridgeRoutes(() => handler) });
    const baseUrl = await bridge.listen(0, '127.0.0.1');
    try {
      const error = await rejection(
        popCoreClient(baseUrl, { accessKeyId: 'partner-2026', accessKeySecret: stored['partner-2026']! }).request(
          'QueryEmailVerification',
          { Email: 'nobody-keys@example.com' },
          { method: 'POST' },
        ),
      );
      expect(error.code).toBe('EmailNotSubmitted');
    } finally {
      await bridge.close();
    }
  });

  test('a generated AccessKeyId when none is asked for', async () => {
    const deployed = deploy();
    await runKeys(command(deployed, 'add-rpc-key', '--yes'), io([], new Date('2026-03-04T05:06:07Z')));
    const ids = Object.keys(JSON.parse(standIn.valueOf(deployed.arns.rpcAccessKeys)!) as object);
    expect(ids).toEqual(['rpc-default', expect.stringMatching(/^rpc-20260304-[0-9a-f]{6}$/)]);
  });

  test('asks first: "n", an empty answer or no terminal without --yes change nothing', async () => {
    const deployed = deploy();
    const before = putCount();
    for (const answer of ['n', '']) {
      const terminal = io([answer]);
      expect(await runKeys(command(deployed, 'add-rpc-key'), terminal)).toBe(1);
      expect(terminal.output()).toMatch(/Add RPC AccessKeyId rpc-\S+ to arn:aws:secretsmanager:/);
      expect(terminal.output()).toMatch(/Nothing changed\./);
    }
    const noTerminal = { ...io(), ask: undefined };
    expect(await runKeys(command(deployed, 'add-rpc-key'), noTerminal)).toBe(1);
    expect(noTerminal.output()).toMatch(/Run it again with --yes/);
    expect(putCount()).toBe(before);
    expect(JSON.parse(standIn.valueOf(deployed.arns.rpcAccessKeys)!)).toEqual({ 'rpc-default': deployed.rpcDefaultSecret });
  });

  test('an AccessKeyId that exists or is malformed is refused before anything changes', async () => {
    const deployed = deploy();
    await expect(runKeys(command(deployed, 'add-rpc-key', '--id', 'rpc-default', '--yes'), io())).rejects.toThrow(/already in the secret/);
    await expect(runKeys(command(deployed, 'add-rpc-key', '--id', 'a b', '--yes'), io())).rejects.toThrow(/3 to 64 letters/);
    expect(standIn.valueOf(deployed.arns.rpcAccessKeys, 'AWSPREVIOUS')).toBeUndefined();
  });
});

describe('remove-rpc-key', () => {
  test('removes one key; refuses to remove the last one', async () => {
    const deployed = deploy();
    await runKeys(command(deployed, 'add-rpc-key', '--id', 'new-key', '--yes'), io());
    expect(await runKeys(command(deployed, 'remove-rpc-key', 'rpc-default', '--yes'), io())).toBe(0);
    expect(Object.keys(JSON.parse(standIn.valueOf(deployed.arns.rpcAccessKeys)!) as object)).toEqual(['new-key']);
    await expect(runKeys(command(deployed, 'remove-rpc-key', 'new-key', '--yes'), io())).rejects.toThrow(/only access key/);
    await expect(runKeys(command(deployed, 'remove-rpc-key', 'gone', '--yes'), io())).rejects.toThrow(/not in the secret/);
  });
});

describe('rotate-token-key', () => {
  test('a new kid signs; the old key moves to "previous" and still verifies what it signed', async () => {
    const deployed = deploy();
    const before = await loadAsFunction(deployed);
    const address = normalizeEmailAddress('rotate@example.com');
    const oldToken = await new VerificationTokens(before.tokenKeyring, TOKEN_SETTINGS, 'session').issue(address, Date.now());

    const now = new Date();
    const terminal = io(['yes'], now);
    expect(await runKeys(command(deployed, 'rotate-token-key'), terminal)).toBe(0);
    expect(terminal.output()).toMatch(/new kid k2 signs from now on; k1 moves to "previous"/);
    expect(terminal.output()).toMatch(/recycle both functions/);
    const stored = JSON.parse(standIn.valueOf(deployed.arns.tokenSigning)!) as { kid: string; key: string; previous: unknown[] };
    expect(stored.kid).toBe('k2');
    expect(stored.key).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(stored.previous).toEqual([{ kid: 'k1', key: deployed.tokenKey, retiredAt: now.toISOString() }]);

    const after = await loadAsFunction(deployed);
    expect(after.tokenKeyring.active.kid).toBe('k2');
    const tokens = new VerificationTokens(after.tokenKeyring, TOKEN_SETTINGS, 'session');
    await expect(tokens.read(oldToken, Date.now())).resolves.toMatchObject({ key: address.key });
    const newToken = await tokens.issue(address, Date.now());
    expect(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: 'k2' });
    // A function still on the old keyring cannot read it: why the output says to recycle both.
    await expect(new VerificationTokens(before.tokenKeyring, TOKEN_SETTINGS, 'session').read(newToken, Date.now())).rejects.toThrow();
  });

  test('previous keys retired longer ago than any token or link lives are dropped; hand-written ones stay', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const longAgo = new Date(now.getTime() - (RETIRED_KEY_KEEP_SECONDS + 60) * 1000).toISOString();
    const recently = new Date(now.getTime() - 3600 * 1000).toISOString();
    const deployed = deploy([
      { kid: 'k0', key: randomKey(64), retiredAt: recently },
      { kid: 'old', key: randomKey(64), retiredAt: longAgo },
      { kid: 'manual', key: randomKey(64) },
    ]);
    const terminal = io([], now);
    await runKeys(command(deployed, 'rotate-token-key', '--yes'), terminal);
    expect(terminal.output()).toMatch(/drop old: retired longer ago/);
    const stored = JSON.parse(standIn.valueOf(deployed.arns.tokenSigning)!) as { previous: Array<{ kid: string }> };
    expect(stored.previous.map((entry) => entry.kid)).toEqual(['k1', 'k0', 'manual']);
  });
});

describe('where the ARNs come from', () => {
  test('cdk-outputs.json as npm run deploy writes it, for the named stack', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    const outputs = {
      EmailVerificationStack: {
        ApiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com/prod/',
        TokenSigningSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningSecret-aaaaaa',
        OtpHashSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:OtpHashSecret-bbbbbb',
        RpcAccessKeysSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:RpcAccessKeysSecret-cccccc',
      },
    };
    writeFileSync(path.join(dir, 'cdk-outputs.json'), JSON.stringify(outputs));
    expect(parseKeysArguments(['show'], dir)).toMatchObject({
      name: 'show',
      arns: {
        tokenSigning: outputs.EmailVerificationStack.TokenSigningSecretArn,
        otpHash: outputs.EmailVerificationStack.OtpHashSecretArn,
        rpcAccessKeys: outputs.EmailVerificationStack.RpcAccessKeysSecretArn,
      },
    });
    expect(() => parseKeysArguments(['show', '--stack', 'Other'], dir)).toThrow(/no outputs for stack Other/);
  });

  test('without outputs or ARNs, the message says how to get them; usage errors are usage errors', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'keys-'));
    expect(() => parseKeysArguments(['show'], empty)).toThrow(UsageError);
    expect(() => parseKeysArguments(['show'], empty)).toThrow(/npm run deploy .*cdk-outputs\.json.*describe-stacks/);
    expect(() => parseKeysArguments(['rotate', '--token-secret-arn', 'x'], empty)).toThrow(/unknown command "rotate"/);
    expect(() => parseKeysArguments(['remove-rpc-key'], empty)).toThrow(/needs the AccessKeyId/);
    expect(() => parseKeysArguments(['show', '--token-secret-arn', 'x', '--otp-secret-arn', 'y', '--rpc-keys-secret-arn', 'z'], empty)).toThrow(
      /not a Secrets Manager ARN/,
    );
    expect(parseKeysArguments([], empty)).toBe('help');
  });

  test('an ARN the service does not know: the SDK error surfaces as Secrets Manager names it', async () => {
    const deployed = deploy();
    const missing = { ...deployed, arns: { ...deployed.arns, rpcAccessKeys: `${deployed.arns.rpcAccessKeys}-gone` } };
    await expect(runKeys(command(missing, 'show'), io())).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
