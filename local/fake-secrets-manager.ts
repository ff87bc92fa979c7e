/**
 * A stand-in for Secrets Manager's GetSecretValue (awsJson1_1) on 127.0.0.1, strict about what
 * the real one checks: POST /, the target and content type, and a SigV4 signature it recomputes
 * from the request it received with the credentials it was given. Unknown secrets answer
 * ResourceNotFoundException. `fail` scripts faults for the next requests.
 *
 * For tests and the bench only: it lets a bundle read its keys the way a deployed function does
 * (secret ARNs, signed requests), with AWS_ENDPOINT_URL_SECRETS_MANAGER pointing here.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { readSetting } from '../src/settings.js';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What the next request meets: an error answer, no answer at all, or a dropped connection. */
export type Fault = { readonly status: number; readonly type: string } | 'stall' | 'drop';

export interface ReceivedRequest {
  readonly secretId: string | undefined;
  readonly headers: IncomingMessage['headers'];
  /** Whether its signature was valid. */
  readonly signed: boolean;
}

export interface FakeSecretsManager {
  readonly endpoint: string;
  readonly requests: ReceivedRequest[];
  fail(...faults: Fault[]): void;
  close(): Promise<void>;
}

class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret === undefined || typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer);
    this.#hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

export async function startFakeSecretsManager(options: {
  readonly secrets: Readonly<Record<string, string>>;
  readonly credentials: FakeCredentials;
  readonly region: string;
}): Promise<FakeSecretsManager> {
  const faults: Fault[] = [];
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const signer = new SignatureV4({ service: 'secretsmanager', region: options.region, credentials: options.credentials, sha256: Sha256 });

  const answer = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let secretId: string | undefined;
      try {
        secretId = (JSON.parse(body) as { SecretId?: string }).SecretId;
      } catch {
        secretId = undefined;
      }
      const signed = await signatureIsValid(request, body);
      requests.push({ secretId, headers: request.headers, signed });
      const fault = faults.shift();
      if (fault === 'stall') return;
      if (fault === 'drop') return request.socket.destroy();
      if (fault) return answer(response, fault.status, { __type: fault.type, message: `injected ${fault.type}` });
      if (request.method !== 'POST' || request.url !== '/' || request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return answer(response, 400, { __type: 'UnknownOperationException', message: 'not GetSecretValue' });
      }
      if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
        return answer(response, 400, { __type: 'SerializationException', message: 'wrong content type' });
      }
      if (!signed) return answer(response, 400, { __type: 'InvalidSignatureException', message: 'The request signature does not match' });
      const value = secretId === undefined ? undefined : options.secrets[secretId];
      if (value === undefined) {
        return answer(response, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      }
      answer(response, 200, { ARN: secretId, Name: secretId, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'] });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /** Signs what was received, with the signed headers, date and credentials it names, and compares. */
  async function signatureIsValid(request: IncomingMessage, body: string): Promise<boolean> {
    const authorization = String(request.headers.authorization ?? '');
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/secretsmanager\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
    const date = String(request.headers['x-amz-date'] ?? '');
    if (!match || match[1] !== options.credentials.accessKeyId || match[3] !== options.region || !date.startsWith(match[2]!)) return false;
    if ((options.credentials.sessionToken ?? undefined) !== request.headers['x-amz-security-token']) return false;
    const headers: Record<string, string> = {};
    for (const name of match[4]!.split(';')) headers[name] = String(request.headers[name] ?? '');
    const [host, port] = (request.headers.host ?? '').split(':');
    const resigned = await signer.sign(
      { method: request.method ?? '', protocol: 'http:', hostname: host!, ...(port ? { port: Number(port) } : {}), path: request.url ?? '/', query: {}, headers, body },
      { signingDate: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`) },
    );
    return resigned.headers.authorization === authorization;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    fail: (...next) => faults.push(...next),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The three secrets the stack creates, in its formats, holding the local keys (settings.ts), so
 * that tokens and signatures made with the local settings verify in a function that reads them.
 */
export function localKeySecrets(arns: { tokenSigning: string; otpHash: string; rpcAccessKeys: string }): Record<string, string> {
  const env = {};
  return {
    [arns.tokenSigning]: JSON.stringify({ kid: readSetting(env, 'JWT_KEY_ID'), key: readSetting(env, 'JWT_SIGNING_KEY') }),
    [arns.otpHash]: readSetting(env, 'OTP_HASH_KEY'),
    [arns.rpcAccessKeys]: JSON.stringify({ [readSetting(env, 'RPC_ACCESS_KEY_ID')]: readSetting(env, 'RPC_ACCESS_KEY_SECRET') }),
  };
}
