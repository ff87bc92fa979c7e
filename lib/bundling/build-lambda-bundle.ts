/**
 * NodejsFunction's afterBundling step (see lambda-bundle.ts): rebuilds a function's bundle with
 * the SDK trims over the esbuild CLI's output.
 *
 *   node --import tsx lib/bundling/build-lambda-bundle.ts <entry.ts> <outputDir>
 */
import { buildLambdaBundle } from './lambda-bundle.js';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  process.stderr.write('usage: build-lambda-bundle.ts <entry.ts> <outputDir>\n');
  process.exit(2);
}
const bundle = await buildLambdaBundle(entry, outdir);
process.stderr.write(`  ${bundle.file}  ${(bundle.bytes / 1024).toFixed(1)}kb (SDK trims applied)\n`);
