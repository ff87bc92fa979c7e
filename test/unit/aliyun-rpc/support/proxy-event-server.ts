import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { buildProxyEvent } from '../../../../local/proxy-event.js';
import type { RpcProxyEvent } from '../../../../src/aliyun-rpc/rpc-request.js';
import type { RpcHttpResponse } from '../../../../src/aliyun-rpc/rpc-response.js';

/**
 * A throwaway HTTP server that hands each request to `handle` as API Gateway (REST API, proxy
 * integration) would, through the project's one event builder.
 */
export interface ProxyEventServer {
  readonly endpoint: string;
  readonly host: string;
  close(): Promise<void>;
}

export async function startProxyEventServer(
  handle: (event: RpcProxyEvent) => Promise<RpcHttpResponse>,
): Promise<ProxyEventServer> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const result = await handle(await toProxyEvent(req));
        res.writeHead(result.statusCode, result.headers);
        res.end(result.body);
      } catch (error) {
        res.writeHead(599, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function toProxyEvent(req: IncomingMessage): Promise<RpcProxyEvent> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  const rawUrl = req.url ?? '/';
  const questionMark = rawUrl.indexOf('?');
  const path = questionMark < 0 ? rawUrl : rawUrl.slice(0, questionMark);
  return buildProxyEvent({
    method: req.method ?? 'GET',
    path,
    query: questionMark < 0 ? '' : rawUrl.slice(questionMark + 1),
    headers,
    body: Buffer.concat(chunks),
    sourceIp: req.socket.remoteAddress ?? '',
    requestPath: path,
  });
}
