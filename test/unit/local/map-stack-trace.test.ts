import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SourceMapPayload } from 'node:module';
import { mapStackTrace } from '../../../local/map-stack-trace.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'map-stack-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a minified bundle trace points back to the source file and line it was thrown from', async () => {
  const source = path.join(dir, 'src', 'thrower.ts');
  writeFileSync(path.join(dir, 'entry.ts'), "import { fail } from './src/thrower';\nexport function run(): string {\n  return fail('x');\n}\n");
  mkdirSync(path.dirname(source), { recursive: true });
  writeFileSync(source, '// padding\n// padding\nexport function fail(reason: string): string {\n  throw new Error(`failed: ${reason}`);\n}\n');
  await build({
    entryPoints: [path.join(dir, 'entry.ts')],
    outfile: path.join(dir, 'out', 'index.mjs'),
    bundle: true,
    minify: true,
    keepNames: true,
    sourcemap: true,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  // A trace as a function logs it: from a plain node process, with no source maps applied.
  const bundleUrl = pathToFileURL(path.join(dir, 'out', 'index.mjs')).href;
  const trace = execFileSync(process.execPath, ['--input-type=module', '-e', `try { (await import('${bundleUrl}')).run(); } catch (error) { console.log(error.stack); }`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  expect(trace).toMatch(/index\.mjs:1:\d+/);
  const map = JSON.parse(readFileSync(path.join(dir, 'out', 'index.mjs.map'), 'utf8')) as SourceMapPayload;
  const mapped = mapStackTrace(trace, map);
  // The throw is on line 4 of src/thrower.ts; the caller on line 3 of entry.ts. Names stay readable.
  expect(mapped).toMatch(/at fail \(src\/thrower\.ts:4:\d+\)/);
  expect(mapped).toMatch(/at (Module\.)?run \(.*entry\.ts:3:\d+\)/);
  expect(mapped).not.toMatch(/index\.mjs:1:/);
});
