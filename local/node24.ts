/**
 * A Node 24 binary, the Lambda runtime's version, for what must run the built bundles as Lambda
 * does (the bench, the bundle tests): the bundles target node24 and use process.getBuiltinModule.
 *
 * This process's own Node when it is 24; else the one CI installs in `.ci/node24`; else it is
 * installed there from the npm registry (the `node` package, once, about 10 s).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAMBDA_NODE_MAJOR = 24;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PREFIX = path.join(ROOT, '.ci', 'node24');
const BINARY = path.join(PREFIX, 'node_modules', '.bin', 'node');

function majorOf(binary: string): number {
  return Number(execFileSync(binary, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim());
}

export function node24(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string {
  if (Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR) return process.execPath;
  if (!existsSync(BINARY) || majorOf(BINARY) !== LAMBDA_NODE_MAJOR) {
    log(`Node ${process.version} is not the functions' Node ${LAMBDA_NODE_MAJOR}: installing node@${LAMBDA_NODE_MAJOR} into ${path.relative(ROOT, PREFIX)}`);
    execFileSync('npm', ['install', '--prefix', PREFIX, `node@${LAMBDA_NODE_MAJOR}`, '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (majorOf(BINARY) !== LAMBDA_NODE_MAJOR) throw new Error(`${BINARY} is not Node ${LAMBDA_NODE_MAJOR}`);
  }
  return BINARY;
}
