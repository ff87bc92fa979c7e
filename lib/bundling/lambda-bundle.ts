/**
 * How a function's code becomes its Lambda bundle: one definition, used by the stack (through
 * NodejsFunction) and by anything that needs the same bytes (the bench, the bundle tests).
 *
 * NodejsFunction runs the esbuild CLI, which takes no plugins, and the trims in sdk-trims.ts
 * are plugins. So the CDK's esbuild run is followed by an `afterBundling` hook that builds the
 * same entry again with the esbuild API, the same options and the trims, over the same files;
 * the asset hash is taken from that output. The CLI's run costs about a second per function.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { sdkTrims } from './sdk-trims.js';

/**
 * The AWS SDK error classes the service tells apart with `instanceof`; every other modeled error
 * is left out of the bundles (see onlyModeledErrors). A test keeps this list equal to the
 * classes src/ imports from the SDK and tests with instanceof.
 */
export const MODELED_ERRORS_IN_USE: readonly string[] = ['ConditionalCheckFailedException'];

/** The Lambda runtime's Node version; the bundle relies on it (process.getBuiltinModule). */
const BUNDLE_TARGET = 'node24';

/** The bundle file inside a function's asset. */
export const BUNDLE_FILE = 'index.mjs';

const OPTIONS = {
  bundle: true,
  format: 'esm',
  target: BUNDLE_TARGET,
  platform: 'node',
  minify: true,
  // Error names survive minification: jose names its errors after their classes, the service's
  // DomainError takes `new.target.name`, and logs and handlers read `error.name`.
  keepNames: true,
  // Written next to the bundle, not loaded at run time (no --enable-source-maps): it maps a
  // logged stack trace back to the sources offline (`npm run map-stack-trace`).
  sourcemap: true,
  // ESM dists first: the SDK's `module` builds are what the trims are written against.
  mainFields: ['module', 'main'],
  // The Chinese mail and page text as UTF-8 rather than \uXXXX escapes (about 1 KB).
  charset: 'utf8',
} as const satisfies BuildOptions;

export interface BuiltBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/**
 * Builds `entry` (a lambdas/<api>/index.ts) into `outdir`/index.mjs (+ .map), trims applied.
 * `plugins` replaces the trims, for a module that does not carry the SDK clients (the bench's
 * init floor).
 */
export async function buildLambdaBundle(entry: string, outdir: string, plugins: Plugin[] = sdkTrims(MODELED_ERRORS_IN_USE)): Promise<BuiltBundle> {
  const file = path.join(outdir, BUNDLE_FILE);
  const result = await build({
    ...OPTIONS,
    mainFields: [...OPTIONS.mainFields],
    entryPoints: [entry],
    outfile: file,
    plugins,
    metafile: true,
    logLevel: 'warning',
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

const REBUILD_SCRIPT = fileURLToPath(new URL('./build-lambda-bundle.ts', import.meta.url));

/** A path as one shell word. */
const shellWord = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * NodejsFunction's bundling for `entry`: the same options on the esbuild CLI, then the hook that
 * rebuilds with the trims, then copies of `bundledFolders` (path inside the bundle -> source
 * folder, e.g. the operator's mail templates). No `createRequire` banner: builtins come from
 * getBuiltinModule, and the build fails if anything is left for `require()` at run time.
 */
export function lambdaBundling(entry: string, bundledFolders: Readonly<Record<string, string>> = {}): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: OPTIONS.target,
    platform: OPTIONS.platform,
    minify: OPTIONS.minify,
    keepNames: OPTIONS.keepNames,
    sourceMap: OPTIONS.sourcemap,
    // NodejsFunction's `charset` option never reaches the esbuild command line.
    esbuildArgs: { '--charset': OPTIONS.charset },
    mainFields: [...OPTIONS.mainFields],
    // Bundle AWS SDK v3 instead of taking whatever version the runtime ships.
    externalModules: [],
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir, outputDir) => [
        `node --import tsx ${shellWord(REBUILD_SCRIPT)} ${shellWord(entry)} ${shellWord(outputDir)}`,
        ...Object.entries(bundledFolders).map(([target, source]) => `cp -R ${shellWord(source)} ${shellWord(`${outputDir}/${target}`)}`),
      ],
    },
  };
}
