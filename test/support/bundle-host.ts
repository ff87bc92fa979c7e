/**
 * The built Lambda bundles behind the local API Gateway bridge, in a process of their own on the
 * functions' Node (bundled-handlers.test.ts starts it):
 *
 *   node --import tsx test/support/bundle-host.ts <iam index.mjs> <rpc index.mjs>
 *
 * The environment is the functions' (the parent sets it). Prints `BUNDLE_HOST_READY <url>` once
 * both bundles have loaded (their cold start, secrets read included), or
 * `BUNDLE_HOST_FAILED <message>`; exits when its stdin closes.
 */
import { pathToFileURL } from 'node:url';
import { bridgeRoutes, createApiBridge, moduleHandler } from '../../local/api-gateway-bridge.js';

const READY = 'BUNDLE_HOST_READY';
const FAILED = 'BUNDLE_HOST_FAILED';

const [iam, rpc] = process.argv.slice(2);
if (!iam || !rpc) throw new Error('usage: bundle-host.ts <iam bundle> <rpc bundle>');
const bundles = { iam, rpc };
const bridge = createApiBridge({ routes: bridgeRoutes((api) => moduleHandler(pathToFileURL(bundles[api]).href)) });
try {
  const url = await bridge.listen(0, '127.0.0.1');
  // The mailed link points back here, as the deployed function's points at its API.
  process.env.PUBLIC_BASE_URL = url;
  await bridge.preload();
  process.stdout.write(`${READY} ${url}\n`);
} catch (error) {
  process.stdout.write(`${FAILED} ${JSON.stringify(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  process.exit(1);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
