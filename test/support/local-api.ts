/**
 * The API for a test file: the local API Gateway bridge on a free port in the test process, in
 * front of the real handlers (default routes), against the DynamoDB Local and local SES that the
 * jest global setup started.
 *
 * The handler modules read their configuration when they are first imported, which happens
 * here, after `envOverrides` are applied. Jest gives each test file its own module registry, so
 * overrides apply per test file: within one file, the first startTestApi call's environment is
 * the one the handlers keep.
 */
import { createApiBridge, defaultRoutes, type BridgeRoute } from '../../local/api-gateway-bridge.js';

export interface TestApi {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly baseUrl: string;
  /** Closes the server and restores the environment. */
  stop(): Promise<void>;
}

export interface TestApiOptions {
  /** Routes to serve instead of the real handlers. */
  readonly routes?: readonly BridgeRoute[];
}

/** `envOverrides`: variables to set (or, with undefined, remove) before the handlers load. */
export async function startTestApi(
  envOverrides: Record<string, string | undefined> = {},
  options: TestApiOptions = {},
): Promise<TestApi> {
  if (!process.env.DYNAMODB_ENDPOINT || !process.env.SES_ENDPOINT) {
    throw new Error('DYNAMODB_ENDPOINT / SES_ENDPOINT are not set: is the jest globalSetup (test/support/global-setup.ts) configured?');
  }
  const bridge = createApiBridge({ routes: options.routes ?? defaultRoutes() });
  const baseUrl = await bridge.listen(0, '127.0.0.1');

  const changes: Record<string, string | undefined> = { PUBLIC_BASE_URL: baseUrl, ...envOverrides };
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(changes)) {
    previous[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const restore = () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  try {
    await bridge.preload();
  } catch (error) {
    await bridge.close();
    restore();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    baseUrl,
    stop: () =>
      (stopping ??= bridge.close().then(restore)),
  };
}
