import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { loadServiceSecrets } from '../../../src/adapters/service-secrets.js';
import { SecretReadError, secretsManagerReader } from '../../../src/adapters/secrets-manager-reader.js';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../../local/secrets-manager-stand-in.js';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
const TOKEN_KEY = JSON.stringify({ kid: 'k2', key: 'k'.repeat(40), previous: [{ kid: 'k1', key: 'p'.repeat(40) }] });
const MISSING = `arn:aws:secretsmanager:${REGION}:123456789012:secret:missing-AbCdEf`;

let fake: SecretsManagerStandIn;
let arns: { token: string; otp: string; rpc: string };
beforeEach(async () => {
  fake = await startSecretsManagerStandIn({ credentials: CREDENTIALS });
  arns = {
    token: fake.create('token', TOKEN_KEY, REGION),
    otp: fake.create('otp', 'o'.repeat(40), REGION),
    rpc: fake.create('rpc', JSON.stringify({ ak1: 'secret-1' }), REGION),
  };
});
afterEach(() => fake.close());
const arn = (name: 'token' | 'otp' | 'rpc' | 'missing' | 'binary') => (name === 'missing' || name === 'binary' ? MISSING : arns[name]);

function environment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint,
    ...overrides,
  };
}

const fast = { connectTimeoutMs: 300, attemptTimeoutMs: 300 };

describe('secretsManagerReader', () => {
  test('reads a SecretString with one signed GetSecretValue', async () => {
    const read = secretsManagerReader({ env: environment() });
    await expect(read(arn('otp'))).resolves.toBe('o'.repeat(40));
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]).toMatchObject({ secretId: arn('otp'), signed: true });
    expect(fake.received[0]!.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
  });

  test('a signature with other keys is refused, and the refusal is not retried', async () => {
    const read = secretsManagerReader({ env: environment({ AWS_SECRET_ACCESS_KEY: 'not-the-key' }) });
    const failure = await read(arn('otp')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SecretReadError);
    expect(failure).toMatchObject({ name: 'InvalidSignatureException', statusCode: 400, retryable: false });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]!.signed).toBe(false);
  });

  test('an unknown secret fails with the service error type and the secret named, its value never', async () => {
    const read = secretsManagerReader({ env: environment() });
    const failure = (await read(arn('missing')).catch((error: unknown) => error)) as SecretReadError;
    expect(failure.name).toBe('ResourceNotFoundException');
    expect(failure.message).toContain(arn('missing'));
  });

  test('throttling and server errors are retried, up to three attempts', async () => {
    fake.fail({ status: 400, type: 'ThrottlingException' }, { status: 500, type: 'InternalServiceError' });
    const read = secretsManagerReader({ env: environment() });
    await expect(read(arn('otp'))).resolves.toBe('o'.repeat(40));
    expect(fake.received).toHaveLength(3);

    fake.fail(...Array.from({ length: 3 }, () => ({ status: 503, type: 'ServiceUnavailable' })));
    await expect(read(arn('otp'))).rejects.toMatchObject({ name: 'ServiceUnavailable', statusCode: 503 });
    expect(fake.received).toHaveLength(6);
  });

  test('an answer that never comes is abandoned after the attempt timeout, and retried', async () => {
    fake.fail('stall', 'drop');
    const read = secretsManagerReader({ env: environment(), ...fast });
    const started = Date.now();
    await expect(read(arn('otp'))).resolves.toBe('o'.repeat(40));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fake.received).toHaveLength(3);

    fake.fail('stall', 'stall', 'stall');
    const stalled = Date.now();
    await expect(read(arn('otp'))).rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('did not answer within 300 ms') });
    // Three attempts of 300 ms and the backoff between them: well under the 5 s stall bound.
    expect(Date.now() - stalled).toBeLessThan(5_000);
  });

  test("once the caller's signal fires, the attempt in flight is dropped and no other is made", async () => {
    fake.fail('stall', 'stall', 'stall');
    const read = secretsManagerReader({ env: environment(), connectTimeoutMs: 300, attemptTimeoutMs: 500 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the cap ended')), 100);
    const started = Date.now();
    await expect(read(arn('otp'), controller.signal)).rejects.toBeInstanceOf(SecretReadError);
    expect(Date.now() - started).toBeLessThan(500);
    // Past the attempt timeout and the backoff: an attempt left running would have been retried.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(fake.received).toHaveLength(1);
    await expect(read(arn('otp'), controller.signal)).rejects.toThrow('the cap ended');
    expect(fake.received).toHaveLength(1);
  });

  test('a connection that does not open is abandoned after the connect timeout', async () => {
    // Accepts TCP and never answers the TLS handshake: the HTTPS connection never opens.
    const silent = createNetServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const read = secretsManagerReader({
        env: environment({ AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint }),
        connectTimeoutMs: 300,
        attemptTimeoutMs: 2_000,
        maxAttempts: 2,
      });
      const started = Date.now();
      await expect(read(arn('otp'))).rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('No connection to Secrets Manager') });
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  test('without credentials in the environment it fails before sending anything', async () => {
    const read = secretsManagerReader({ env: environment({ AWS_ACCESS_KEY_ID: undefined }) });
    await expect(read(arn('otp'))).rejects.toMatchObject({ name: 'CredentialsError', message: expect.stringContaining('AWS_ACCESS_KEY_ID') });
    expect(fake.received).toHaveLength(0);
  });

  test('a 200 answer without a SecretString is an error, not an empty key', async () => {
    const server: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ ARN: 'x', SecretBinary: 'AAAA' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const read = secretsManagerReader({ env: environment({ AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint }) });
      await expect(read(arn('binary'))).rejects.toMatchObject({ name: 'NoSecretString' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('loadServiceSecrets with secret ARNs', () => {
  test('reads every key from Secrets Manager, in parallel, and nothing from the local key settings', async () => {
    const secrets = await loadServiceSecrets(
      environment({
        TOKEN_SIGNING_SECRET_ARN: arn('token'),
        OTP_HASH_SECRET_ARN: arn('otp'),
        RPC_ACCESS_KEYS_SECRET_ARN: arn('rpc'),
        JWT_SIGNING_KEY: 'must-not-be-used-'.repeat(3),
      }),
    );
    expect(secrets.tokenKeyring.active.kid).toBe('k2');
    expect(secrets.tokenKeyring.accepted.map((key) => key.kid)).toEqual(['k2', 'k1']);
    expect(new TextDecoder().decode(secrets.otpHashKey)).toBe('o'.repeat(40));
    expect([...secrets.rpcAccessKeys]).toEqual([['ak1', 'secret-1']]);
    expect(fake.received.map((request) => request.secretId).sort()).toEqual([arn('otp'), arn('rpc'), arn('token')]);
  });

  test('a secret that cannot be read fails the load (the cold start), with the reason', async () => {
    await expect(
      loadServiceSecrets(environment({ TOKEN_SIGNING_SECRET_ARN: arn('token'), OTP_HASH_SECRET_ARN: arn('missing') })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
