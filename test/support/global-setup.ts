/**
 * jest globalSetup: starts DynamoDB Local and the local SES once for the whole run, on free
 * ports, creates the table, and publishes the endpoints to the test processes through
 * process.env (jest starts its workers after this runs, and they inherit the environment; an
 * in-band run shares this process).
 *
 * The services run in a child process (local/services-process.ts, under tsx): jest loads this
 * file outside its module system, where the project's `.js`-suffixed TypeScript imports do not
 * resolve, so this file imports Node built-ins only. The child stops DynamoDB Local (a Java
 * process) when it is told to, when it gets SIGINT/SIGTERM, or as soon as this process dies
 * (its stdin pipe closes); DynamoDB Local also has a watchdog of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const READY_MARKER = 'LOCAL_SERVICES_READY';
const FAILED_MARKER = 'LOCAL_SERVICES_FAILED';
const START_TIMEOUT_MS = 120_000;
export const SERVICES_HANDLE = '__emailVerificationLocalServices__';

interface Ready {
  dynamodbEndpoint: string;
  sesEndpoint: string;
  tableName: string;
  dynamodbPid: number;
  environment: { set: Record<string, string>; unset: string[] };
}

function waitForReady(child: ChildProcess): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`local services did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`local services exited before they were ready (${signal ?? `exit code ${code}`})`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      lines.close();
      reject(error);
    }
    child.once('exit', onExit);
    child.once('error', (error) => fail(error));
    lines.on('line', (line) => {
      if (line.startsWith(`${FAILED_MARKER} `)) {
        fail(new Error(`local services failed to start: ${JSON.parse(line.slice(FAILED_MARKER.length + 1)) as string}`));
      } else if (line.startsWith(`${READY_MARKER} `)) {
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        lines.close();
        resolve(JSON.parse(line.slice(READY_MARKER.length + 1)) as Ready);
      }
    });
  });
}

export default async function globalSetup(globalConfig: { rootDir?: string }, projectConfig?: { rootDir?: string }): Promise<void> {
  const rootDir = projectConfig?.rootDir ?? globalConfig.rootDir ?? process.cwd();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  const child = spawn(
    process.execPath,
    // Without TABLE_NAME the services process uses the setting's default.
    ['--import', 'tsx', path.join(rootDir, 'local', 'services-process.ts'), ...(process.env.TABLE_NAME ? ['--table-name', process.env.TABLE_NAME] : [])],
    { cwd: rootDir, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env } },
  );
  (globalThis as Record<string, unknown>)[SERVICES_HANDLE] = child;

  let ready: Ready;
  try {
    ready = await waitForReady(child);
  } catch (error) {
    child.stdin?.end();
    child.kill('SIGTERM');
    throw error;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout?.resume();

  for (const name of ready.environment.unset) delete process.env[name];
  Object.assign(process.env, ready.environment.set);
}
