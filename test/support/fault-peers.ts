/**
 * Real network peers that misbehave the way a dependency does in an outage, for the fault tests:
 * a TCP endpoint that accepts and never answers (until told to forward), and an HTTP endpoint
 * that answers SES's own error bodies (Throttling, InternalFailure) for chosen requests and
 * forwards the others to the local SES. The service reaches them through SES_ENDPOINT (or a
 * client's endpoint), exactly as it reaches the real ones.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { findFreePort } from '../../local/ports.js';

export interface StallingPeer {
  readonly endpoint: string;
  /** Connections accepted while stalled, and how many of them the client has closed since. */
  held(): { accepted: number; closedByClient: number };
  /** From now on, new connections are piped to `target` (host:port); the held ones are dropped. */
  recover(): void;
  close(): Promise<void>;
}

/**
 * Accepts TCP connections and never answers, like a process stopped with SIGSTOP whose kernel
 * still completes handshakes and buffers what the client sends. (It reads and drops the bytes,
 * only so that it sees the client close.) `recover` makes it a plain TCP proxy to `target`.
 */
export async function startStallingPeer(target?: string): Promise<StallingPeer> {
  const held = new Set<Socket>();
  const all = new Set<Socket>();
  let accepted = 0;
  let closedByClient = 0;
  let forwarding = false;
  const server = createServer((socket) => {
    all.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => all.delete(socket));
    if (forwarding && target) {
      const { hostname, port } = new URL(target);
      const upstream = connect(Number(port), hostname);
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      return;
    }
    accepted += 1;
    held.add(socket);
    socket.on('data', () => undefined);
    socket.on('end', () => (closedByClient += 1));
    socket.on('close', () => held.delete(socket));
  });
  await listen(server);
  return {
    endpoint: endpointOf(server),
    held: () => ({ accepted, closedByClient }),
    recover: () => {
      forwarding = true;
      for (const socket of held) socket.destroy();
    },
    close: () => closeServer(server, all),
  };
}

export type SesVerdict = 'throttle' | 'fail' | 'forward';

export interface SesImpostor {
  readonly endpoint: string;
  /** SendEmail attempts per recipient, and what each was answered. */
  readonly attempts: Map<string, SesVerdict[]>;
  /** Replaces the rule that decides each SendEmail's answer. */
  decide(rule: (recipient: string, attempt: number) => SesVerdict): void;
  close(): Promise<void>;
}

/** SES's error body (Query protocol), as SES sends it for these two errors. */
function sesError(code: 'Throttling' | 'InternalFailure'): { status: number; body: string } {
  const sender = code === 'Throttling';
  const message = sender ? 'Maximum sending rate exceeded.' : 'An internal failure occurred.';
  return {
    status: sender ? 400 : 500,
    body:
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error>' +
      `<Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${message}</Message>` +
      `</Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/**
 * An HTTP endpoint speaking SES's Query protocol: each SendEmail is answered Throttling (400) or
 * InternalFailure (500) or forwarded to `sesEndpoint`, as the rule decides for its recipient.
 */
export async function startSesImpostor(
  sesEndpoint: string,
  rule: (recipient: string, attempt: number) => SesVerdict = () => 'forward',
): Promise<SesImpostor> {
  const attempts = new Map<string, SesVerdict[]>();
  const sockets = new Set<Socket>();
  let decide = rule;
  const server = createHttpServer((req, res) => {
    void answer(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const recipient = new URLSearchParams(body.toString('utf8')).get('Destination.ToAddresses.member.1') ?? '';
    const seen = attempts.get(recipient) ?? [];
    const verdict = recipient === '' ? 'forward' : decide(recipient, seen.length + 1);
    attempts.set(recipient, [...seen, verdict]);
    if (verdict !== 'forward') {
      const { status, body: xml } = sesError(verdict === 'throttle' ? 'Throttling' : 'InternalFailure');
      res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': randomUUID() }).end(xml);
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
    ) as Record<string, string>;
    const upstream = await fetch(`${sesEndpoint}${req.url ?? '/'}`, { method: req.method, headers, body });
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'text/xml' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }
  await listen(server);
  return {
    endpoint: endpointOf(server),
    attempts,
    decide: (next) => {
      decide = next;
    },
    close: () => closeServer(server, sockets),
  };
}

/**
 * An endpoint where nothing listens (a port the OS just handed out and took back): every
 * connection is refused at once, as with a dependency that is down.
 */
export async function refusingEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await findFreePort()}`;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function endpointOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
}
