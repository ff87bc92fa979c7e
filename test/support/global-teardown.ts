/** jest globalTeardown: stops the services that global-setup.ts started. */
import type { ChildProcess } from 'node:child_process';

const SERVICES_HANDLE = '__emailVerificationLocalServices__';
const STOP_TIMEOUT_MS = 10_000;

export default async function globalTeardown(): Promise<void> {
  const handle = globalThis as Record<string, unknown>;
  const child = handle[SERVICES_HANDLE] as ChildProcess | undefined;
  delete handle[SERVICES_HANDLE];
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  child.kill('SIGTERM');
  const timeout = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
  if ((await Promise.race([exited, timeout(STOP_TIMEOUT_MS)])) === 'timeout') {
    child.kill('SIGKILL');
    await Promise.race([exited, timeout(2_000)]);
  }
  child.stdout?.destroy();
}
