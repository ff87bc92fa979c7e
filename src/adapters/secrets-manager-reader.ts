/**
 * Secrets Manager's GetSecretValue as one SigV4-signed HTTPS request, for the cold start.
 *
 * The service reads its keys once per cold start and needs nothing else of Secrets Manager. The
 * SDK client for that one call costs about 8 KB of bundle and its own client set-up at init
 * (endpoint rules, middleware stack, protocol serde); this signs with `@smithy/signature-v4`, which
 * the bundle already carries for the DynamoDB and SES clients, and speaks the service's JSON
 * protocol (awsJson1_1) directly: POST / with `X-Amz-Target: secretsmanager.GetSecretValue`.
 *
 * Like the SDK it reads credentials from the environment (in Lambda they are always there), the
 * endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL when set, and retries what
 * is worth retrying. Unlike the SDK's defaults it bounds the wait: a connection that does not
 * open, or an answer that does not come, is abandoned and retried well inside Lambda's 10 s init.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type BinaryLike } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AWS_CALL_LIMITS } from './aws-clients.js';

export interface SecretsManagerReaderOptions {
  /** The variables it reads: credentials, region, endpoint overrides. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Until the TCP (and TLS) connection is open; AWS_CALL_LIMITS by default. */
  readonly connectTimeoutMs?: number;
  /** One attempt, from sending the request to the last byte of the answer. */
  readonly attemptTimeoutMs?: number;
  /** AWS_CALL_LIMITS by default. */
  readonly maxAttempts?: number;
}

/**
 * Reads one secret's SecretString by ARN (or name). Once `abortSignal` fires, the attempt in
 * flight is dropped and no other is made.
 */
export type SecretReader = (secretId: string, abortSignal?: AbortSignal) => Promise<string>;

/** A failed read: `name` is Secrets Manager's error type (or TimeoutError / a network code). */
export class SecretReadError extends Error {
  constructor(
    name: string,
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = name;
  }
}

// Secrets Manager answers within tens of milliseconds; the attempts at this bound, with the
// backoff between them, stay well inside the 10 s Lambda gives the whole init (and the caller's
// cap, AWS_CALL_LIMITS' callMs, ends them sooner still).
const ATTEMPT_TIMEOUT_MS = 2_000;
const RETRYABLE_TYPES = new Set(['ThrottlingException', 'InternalServiceError', 'RequestTimeout', 'ServiceUnavailable']);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

/** The signer's hash: node:crypto, as the SDK's own Node hash does. */
class NodeSha256 {
  readonly #hash;

  constructor(secret?: HashInput) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBinary(secret));
  }

  update(data: HashInput): void {
    this.#hash.update(toBinary(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

type HashInput = string | ArrayBuffer | ArrayBufferView;

function toBinary(data: HashInput): BinaryLike {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export function secretsManagerReader(options: SecretsManagerReaderOptions): SecretReader {
  const { env } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? AWS_CALL_LIMITS.secretsManager.connectMs;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const maxAttempts = options.maxAttempts ?? AWS_CALL_LIMITS.secretsManager.attempts;

  return async (secretId, abortSignal) => {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || regionOfArn(secretId);
    if (!region) throw new SecretReadError('ConfigurationError', 'Reading a secret needs AWS_REGION (or a secret ARN)', false);
    const url = new URL(env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || defaultEndpoint(region, secretId));
    const signer = new SignatureV4({
      service: 'secretsmanager',
      region,
      sha256: NodeSha256,
      credentials: async () => environmentCredentials(env),
    });
    const body = JSON.stringify({ SecretId: secretId });
    for (let attempt = 1; ; attempt++) {
      abortSignal?.throwIfAborted();
      try {
        const signed = await signer.sign({
          method: 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: '/',
          query: {},
          headers: {
            host: url.host,
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'secretsmanager.GetSecretValue',
            'content-length': String(Buffer.byteLength(body)),
          },
          body,
        });
        const answer = await send(url, signed.headers, body, connectTimeoutMs, attemptTimeoutMs, abortSignal);
        return secretStringOf(answer, secretId);
      } catch (error) {
        const failure = asReadError(error);
        if (!failure.retryable || attempt >= maxAttempts || abortSignal?.aborted) throw failure;
        // Full jitter over an exponential base (up to 50, then 100 ms): retries of parallel reads spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** (attempt - 1)));
      }
    }
  };
}

function environmentCredentials(env: SecretsManagerReaderOptions['env']) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new SecretReadError(
      'CredentialsError',
      'Reading a secret needs AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), as Lambda provides',
      false,
    );
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** arn:<partition>:secretsmanager:<region>:<account>:secret:<name> */
function regionOfArn(secretId: string): string | undefined {
  return /^arn:[\w-]+:secretsmanager:([\w-]+):/.exec(secretId)?.[1];
}

function defaultEndpoint(region: string, secretId: string): string {
  const partition = /^arn:([\w-]+):/.exec(secretId)?.[1] ?? (region.startsWith('cn-') ? 'aws-cn' : 'aws');
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://secretsmanager.${region}.${suffix}`;
}

interface Answer {
  readonly statusCode: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
}

function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  connectTimeoutMs: number,
  attemptTimeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    // `signal` destroys the request when it fires, which ends up in `fail` below.
    const options = { hostname: url.hostname, port: url.port || (secure ? 443 : 80), path: '/', method: 'POST', headers, ...(signal ? { signal } : {}) };
    const request = (secure ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(attemptTimer);
        resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const abandon = (message: string) => request.destroy(new SecretReadError('TimeoutError', message, true));
    const attemptTimer = setTimeout(() => abandon(`Secrets Manager did not answer within ${attemptTimeoutMs} ms`), attemptTimeoutMs);
    function fail(error: Error) {
      clearTimeout(attemptTimer);
      reject(error);
    }
    request.on('socket', (socket) => {
      // A reused keep-alive socket is already open.
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => abandon(`No connection to Secrets Manager (${url.host}) within ${connectTimeoutMs} ms`), connectTimeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.on('error', fail);
    request.end(body);
  });
}

function secretStringOf(answer: Answer, secretId: string): string {
  let parsed: { SecretString?: unknown; __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    parsed = answer.text ? (JSON.parse(answer.text) as typeof parsed) : {};
  } catch {
    // An answer that is not JSON (a proxy's error page) is reported by its status below.
  }
  if (answer.statusCode === 200) {
    if (typeof parsed.SecretString !== 'string') throw new SecretReadError('NoSecretString', `Secret ${secretId} has no string value`, false);
    return parsed.SecretString;
  }
  const headerType = answer.headers['x-amzn-errortype'];
  const type = String((Array.isArray(headerType) ? headerType[0] : headerType) ?? parsed.__type ?? `HTTP${answer.statusCode}`)
    .split(':')[0]!
    .split('#')
    .pop()!;
  const message = String(parsed.message ?? parsed.Message ?? `Secrets Manager answered ${answer.statusCode}`);
  const retryable = answer.statusCode >= 500 || answer.statusCode === 429 || RETRYABLE_TYPES.has(type);
  throw new SecretReadError(type, `${message} (reading ${secretId})`, retryable, answer.statusCode);
}

function asReadError(error: unknown): SecretReadError {
  if (error instanceof SecretReadError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new SecretReadError(code ?? 'NetworkError', `Secrets Manager request failed: ${message}`, code !== undefined && RETRYABLE_NETWORK.has(code));
}
