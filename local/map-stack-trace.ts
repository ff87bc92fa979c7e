/**
 * `npm run --silent map-stack-trace -- <iam|rpc|bundle.map> < trace.txt`: maps the positions of a
 * stack trace logged by a deployed function (`.../index.mjs:1:48213`) back to the sources.
 *
 * The functions run without `--enable-source-maps` (it makes the first stack formatted in a
 * process parse the whole map, tens of milliseconds on the request that meets an error). Names
 * survive minification (keepNames), so a trace is readable as it is; this recovers file and line.
 * Give the `index.mjs.map` of the deployed asset (`cdk.out/asset.<hash>/`, or the function's
 * code downloaded from the console), or `iam` / `rpc` to build the bundle of this checkout: the
 * build is reproducible, so at the deployed commit it is the deployed bundle.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, buildLambdaBundle } from '../lib/bundling/lambda-bundle.js';
import { FUNCTIONS, type ApiName } from '../lambdas/routes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Replaces every `<something>.mjs:line:column` in `trace` with the source position it came from. */
export function mapStackTrace(trace: string, map: SourceMapPayload, bundleName = BUNDLE_FILE): string {
  const sourceMap = new SourceMap(map);
  const position = new RegExp(`(?:file://)?[^\\s()]*${bundleName.replace('.', '\\.')}:(\\d+):(\\d+)`, 'g');
  return trace.replace(position, (whole, line: string, column: string) => {
    const entry = sourceMap.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
    return `${readableSource(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** `node_modules/<package>/...` for dependencies, the repository path for the service's own files. */
function readableSource(source: string): string {
  const file = source.startsWith('file://') ? fileURLToPath(source) : source;
  const dependency = file.lastIndexOf('node_modules/');
  if (dependency !== -1) return file.slice(dependency);
  const own = /(?:^|\/)((?:src|lambdas|lib|local)\/.*)$/.exec(file);
  return own ? own[1]! : file;
}

async function mapFileFor(argument: string): Promise<{ map: SourceMapPayload; cleanup: () => void }> {
  if (argument in FUNCTIONS) {
    const scratch = mkdtempSync(path.join(tmpdir(), 'map-stack-trace-'));
    const bundle = await buildLambdaBundle(path.join(ROOT, FUNCTIONS[argument as ApiName].entry), scratch);
    return { map: JSON.parse(readFileSync(`${bundle.file}.map`, 'utf8')) as SourceMapPayload, cleanup: () => rmSync(scratch, { recursive: true, force: true }) };
  }
  const file = statSync(argument).isDirectory() ? path.join(argument, `${BUNDLE_FILE}.map`) : argument;
  return { map: JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload, cleanup: () => undefined };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argument = process.argv[2];
  if (!argument) {
    process.stderr.write('usage: npm run --silent map-stack-trace -- <iam|rpc|index.mjs.map|asset dir> < trace.txt\n');
    process.exit(2);
  }
  const { map, cleanup } = await mapFileFor(argument);
  try {
    process.stdout.write(mapStackTrace(readFileSync(0, 'utf8'), map));
  } finally {
    cleanup();
  }
}
