/**
 * A Node 24 binary, the Lambda runtime's version, for what must run the built bundles as Lambda
 * does (the bench, the bundle tests): the bundles target node24 and use process.getBuiltinModule.
 *
 * This process's own Node when it is 24 (every npm script runs on the pinned `node`
 * devDependency); else that devDependency's binary, for a test runner started with another Node.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LAMBDA_NODE_MAJOR = 24;

const PINNED = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));

export function node24(): string {
  if (Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR) return process.execPath;
  const major = existsSync(PINNED)
    ? Number(execFileSync(PINNED, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim())
    : undefined;
  if (major !== LAMBDA_NODE_MAJOR) {
    throw new Error(`Node ${LAMBDA_NODE_MAJOR} is needed to run the Lambda bundles: run npm ci (it installs the pinned node devDependency)`);
  }
  return PINNED;
}
