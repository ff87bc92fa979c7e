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
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Creates a secret with one AWSCURRENT version and returns its ARN. */
  create(name: string, value: string, region?: string): string;
  /** The value of a version stage (AWSCURRENT by default), as a test reads the store. */
  valueOf(arn: string, stage?: string): string | undefined;
  /** Operation and signing region of every request so far. */
  readonly requests: Array<{ operation: string; region: string }>;
  close(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startSecretsManagerStandIn(): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, Secret>();
  const requests: Array<{ operation: string; region: string }> = [];
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
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
        res.end(JSON.stringify(payload));
      };
      try {
        if (req.method !== 'POST' || !scope) throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
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
