/**
 * A local stand-in for AWS Secrets Manager, on a free port, speaking its wire protocol (JSON 1.1
 * over HTTP POST, `X-Amz-Target: secretsmanager.<Operation>`, SigV4-signed requests), so the real
 * SDK v3 client is pointed at it with `endpoint` and builds, signs, sends and parses every call
 * exactly as it does against AWS.
 *
 * It implements the documented behaviour the key commands and the functions rely on, and no more:
 * GetSecretValue (by ARN or name, AWSCURRENT unless a stage or version is asked for) and
 * PutSecretValue (the new version becomes AWSCURRENT, the old one AWSPREVIOUS; a repeated
 * ClientRequestToken with the same value is the same version, with another value
 * ResourceExistsException). Unknown secrets answer ResourceNotFoundException. It also records
 * each request's operation and the region its signature was made for.
 *
 * Given the callers' `credentials`, it also checks every signature as Secrets Manager does: it
 * signs the request it received again (same signed headers, date, region and body) and refuses a
 * mismatch with InvalidSignatureException. `fail` scripts faults for the next requests (an error
 * answer, no answer, a dropped connection), for the cold-start reader's timeouts and retries.
 * Tests, `npm run bench` and the bundle tests point functions at it with
 * AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSetting } from '../src/settings.js';

interface Version {
  readonly id: string;
  readonly value: string;
  readonly created: number;
  stages: string[];
  readonly token?: string;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Version[];
}

export interface StandInCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What the next request meets: an error answer, no answer at all, or a dropped connection. */
export type Fault = { readonly status: number; readonly type: string } | 'stall' | 'drop';

export interface ReceivedRequest {
  readonly operation: string;
  readonly secretId: string | undefined;
  readonly headers: IncomingMessage['headers'];
  /** Whether its signature matched (only checked when the stand-in was given credentials). */
  readonly signed: boolean | undefined;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Creates a secret with one AWSCURRENT version and returns its ARN. */
  create(name: string, value: string, region?: string): string;
  /** The value of a version stage (AWSCURRENT by default), as a test reads the store. */
  valueOf(arn: string, stage?: string): string | undefined;
  /** Operation and signing region of every request so far. */
  readonly requests: Array<{ operation: string; region: string }>;
  /** Every request so far, in detail. */
  readonly received: ReceivedRequest[];
  /** Faults for the next requests, in order. */
  fail(...faults: Fault[]): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** Check every request's SigV4 signature against these credentials. */
  readonly credentials?: StandInCredentials;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startSecretsManagerStandIn(options: StandInOptions = {}): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, Secret>();
  const requests: Array<{ operation: string; region: string }> = [];
  const received: ReceivedRequest[] = [];
  const faults: Fault[] = [];
  const find = (id: unknown): Secret => {
    const secret = typeof id === 'string' ? (secrets.get(id) ?? [...secrets.values()].find((s) => s.name === id)) : undefined;
    if (!secret) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const current = (secret: Secret, stage = 'AWSCURRENT') => secret.versions.find((version) => version.stages.includes(stage));

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue: (input) => {
      const secret = find(input.SecretId);
      const version =
        typeof input.VersionId === 'string'
          ? secret.versions.find((v) => v.id === input.VersionId)
          : current(secret, typeof input.VersionStage === 'string' ? input.VersionStage : 'AWSCURRENT');
      if (!version) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value.");
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.value,
        VersionStages: version.stages,
        CreatedDate: version.created / 1000,
      };
    },
    PutSecretValue: (input) => {
      const secret = find(input.SecretId);
      if (typeof input.SecretString !== 'string') throw new ServiceError('InvalidParameterException', 'SecretString is required.');
      const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
      const repeated = secret.versions.find((version) => version.token === token || version.id === token);
      if (repeated) {
        if (repeated.value !== input.SecretString) {
          throw new ServiceError('ResourceExistsException', 'A version with this ClientRequestToken already exists with a different value.');
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: repeated.id, VersionStages: repeated.stages };
      }
      for (const version of secret.versions) version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      const previous = current(secret);
      if (previous) previous.stages = [...previous.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
      const version: Version = { id: token, value: input.SecretString, created: Date.now(), stages: ['AWSCURRENT'], token };
      secret.versions.push(version);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages };
    },
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
      // SigV4: Credential=<key>/<date>/<region>/secretsmanager/aws4_request
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/secretsmanager\/aws4_request/.exec(String(req.headers.authorization ?? ''));
      requests.push({ operation, region: scope?.[1] ?? '' });
      const signed = options.credentials ? await signatureMatches(req, body, options.credentials, scope?.[1] ?? '') : undefined;
      received.push({ operation, secretId: secretIdOf(body), headers: req.headers, signed });
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
        res.end(JSON.stringify(payload));
      };
      const fault = faults.shift();
      if (fault === 'stall') return;
      if (fault === 'drop') return void req.socket.destroy();
      if (fault) return answer(fault.status, { __type: fault.type, message: `injected ${fault.type}` });
      try {
        if (req.method !== 'POST' || !scope) throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
        if (signed === false) throw new ServiceError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
        const run = operations[operation];
        if (!run) throw new ServiceError('UnknownOperationException', `Unknown operation ${target}`);
        answer(200, run(JSON.parse(body || '{}') as Record<string, unknown>));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        answer(400, { __type: error.type, message: error.message });
      }
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    received,
    fail: (...next) => void faults.push(...next),
    create(name, value, region = 'eu-west-1') {
      const arn = `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`;
      secrets.set(arn, { arn, name, versions: [{ id: randomUUID(), value, created: Date.now(), stages: ['AWSCURRENT'] }] });
      return arn;
    },
    valueOf(arn, stage = 'AWSCURRENT') {
      const secret = secrets.get(arn);
      return secret ? current(secret, stage)?.value : undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function secretIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { SecretId?: unknown }).SecretId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** node:crypto's SHA-256 in the shape the signer takes. */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Signs what was received again, with the signed headers and date it names, and compares. */
async function signatureMatches(req: IncomingMessage, body: string, credentials: StandInCredentials, region: string): Promise<boolean> {
  const authorization = String(req.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/[^/]+\/secretsmanager\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
    authorization,
  );
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!match || match[1] !== credentials.accessKeyId || !date.startsWith(match[2]!)) return false;
  if (credentials.sessionToken !== req.headers['x-amz-security-token']) return false;
  const headers: Record<string, string> = {};
  for (const name of match[3]!.split(';')) headers[name] = String(req.headers[name] ?? '');
  const [hostname, port] = (req.headers.host ?? '').split(':');
  const signer = new SignatureV4({ service: 'secretsmanager', region, credentials, sha256: Sha256 });
  const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const resigned = await signer.sign(
    { method: req.method ?? '', protocol: 'http:', hostname: hostname!, ...(port ? { port: Number(port) } : {}), path: req.url ?? '/', query: {}, headers, body },
    { signingDate },
  );
  return resigned.headers.authorization === authorization;
}

/**
 * The three key secrets the stack creates, in its formats, holding the local keys (settings.ts),
 * so tokens and signatures made with the local settings verify in a function that reads them.
 * `rpcAccessKeys` replaces the local RPC key. Returns their ARNs.
 */
export function createLocalKeySecrets(
  standIn: SecretsManagerStandIn,
  region: string,
  rpcAccessKeys: Readonly<Record<string, string>> = { [readSetting({}, 'RPC_ACCESS_KEY_ID')]: readSetting({}, 'RPC_ACCESS_KEY_SECRET') },
): { tokenSigning: string; otpHash: string; rpcAccessKeys: string } {
  return {
    tokenSigning: standIn.create('TokenSigningSecret', JSON.stringify({ kid: readSetting({}, 'JWT_KEY_ID'), key: readSetting({}, 'JWT_SIGNING_KEY') }), region),
    otpHash: standIn.create('OtpHashSecret', readSetting({}, 'OTP_HASH_KEY'), region),
    rpcAccessKeys: standIn.create('RpcAccessKeysSecret', JSON.stringify(rpcAccessKeys), region),
  };
}
