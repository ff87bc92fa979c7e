import net from 'node:net';

/** Asks the OS for a free TCP port (listen on port 0, read it back, close). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/**
 * Fails with a clear message when something already listens on `port`. Checked on the wildcard
 * address, which conflicts with a listener on any interface (127.0.0.1 included).
 */
export function assertPortFree(port: number, what: string, envName?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint = envName ? ` Stop whatever uses it, or choose another port with ${envName}=<port>.` : '';
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} for ${what} is already in use.${hint}`)
          : new Error(`Cannot use port ${port} for ${what}: ${error.message}`),
      );
    });
    server.listen({ port, exclusive: true }, () => server.close(() => resolve()));
  });
}

export function parsePort(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number from 0 to 65535 (0 = pick a free one), got "${raw}"`);
  }
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
