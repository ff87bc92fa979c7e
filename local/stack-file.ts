/**
 * What a running `npm start` tells the CLI: its endpoints and the environment its handlers run
 * with, in the file LOCAL_STACK_FILE names (`.local/stack.json`, git-ignored, readable by the
 * owner only, since it holds the local keys). The CLI signs and mails with exactly these
 * settings, so MAIL_FROM, PRODUCT_NAME, OTP_TTL_SECONDS and the rest given to `npm start` apply
 * to it too, and no port has to be repeated.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSetting, settingNames, type Env } from '../src/settings.js';
import { LOCAL_DEFAULTS } from './local-environment.js';

export interface StackFile {
  /** The `npm start` process. */
  readonly pid: number;
  readonly startedAt: string;
  readonly apiUrl: string;
  readonly sesEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  /** Every variable the handlers read, as the running stack set it ('' = the default). */
  readonly environment: Readonly<Record<string, string>>;
}

/** Where the stack file is, for `env` (LOCAL_STACK_FILE, relative to the working directory). */
export function stackFilePath(env: Env = process.env): string {
  return path.resolve(readSetting(env, 'LOCAL_STACK_FILE'));
}

/** The handlers' variables as they are in `env` now: what the CLI must use too. */
export function handlerEnvironment(env: Env = process.env): Record<string, string> {
  const names = [...settingNames('service', 'rpc', 'local-key'), ...Object.keys(LOCAL_DEFAULTS)];
  const environment = Object.fromEntries(names.map((name) => [name, env[name] ?? '']));
  // The CLI may run from another directory than `npm start` did.
  if (environment.MAIL_TEMPLATES_DIR) environment.MAIL_TEMPLATES_DIR = path.resolve(environment.MAIL_TEMPLATES_DIR);
  return environment;
}

export function writeStackFile(file: string, stack: StackFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file if it is still this process's (a newer stack may have written its own). */
export function removeStackFile(file: string, pid = process.pid): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as StackFile).pid === pid) rmSync(file, { force: true });
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}

/** The running stack's file, or an error that says how to start one. */
export function readStackFile(file: string): StackFile {
  let stack: StackFile;
  try {
    stack = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no local stack is running (${file} does not exist). Start it with \`npm start\` in another terminal, then try again.`);
    }
    throw new Error(`${file} is unreadable (${(error as Error).message}); restart the local stack with \`npm start\`.`);
  }
  if (!isRunning(stack.pid)) {
    throw new Error(
      `the local stack that wrote ${file} (pid ${stack.pid}) is no longer running. Start it with \`npm start\` in another terminal, then try again.`,
    );
  }
  return stack;
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
