import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { RpcProxyEvent } from '../../../../src/aliyun-rpc/rpc-request.js';
import type { RpcHttpResponse } from '../../../../src/aliyun-rpc/rpc-response.js';

/**
 * A throwaway HTTP server that hands each request to `handle` as API Gateway (REST API, proxy
 * integration) would: header names in the client's case, query values percent-decoded with
 * `+` left alone, the body as a UTF-8 string.
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
  const body = Buffer.concat(chunks).toString('utf8');

  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }

  const rawUrl = req.url ?? '/';
  const questionMark = rawUrl.indexOf('?');
  const rawPath = questionMark < 0 ? rawUrl : rawUrl.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? '' : rawUrl.slice(questionMark + 1);
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const equals = piece.indexOf('=');
    const name = decodeURIComponent(equals < 0 ? piece : piece.slice(0, equals));
    const value = equals < 0 ? '' : decodeURIComponent(piece.slice(equals + 1));
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  return {
    httpMethod: req.method ?? 'GET',
    path: decodeURIComponent(rawPath),
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: { path: decodeURIComponent(rawPath), identity: { sourceIp: req.socket.remoteAddress ?? '' } },
  };
}
