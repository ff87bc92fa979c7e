/**
 * esbuild plugins that keep out of the Lambda bundles what the AWS SDK v3 clients import but a
 * Lambda function never runs, and route Node's built-in modules around their ES module facade.
 *
 * Each trim depends on how the SDK (3.11xx, schema-based clients) is laid out, so each one
 * checks at the end of the build that it still applies, and the build fails naming it when it
 * does not: a trim that silently stops matching would let the bundle grow back unnoticed, and
 * one that matches something new could change behaviour. Stubs export only the names the SDK
 * imports today, so a new import of anything else fails the build too ("No matching export").
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import type { BuildResult, Metafile, Plugin, PluginBuild } from 'esbuild';

/** Records what a trim replaced; `verify` runs when the build ends and returns a failure, if any. */
interface TrimContext {
  applied(what: string): void;
}

interface TrimDefinition {
  readonly name: string;
  setup(build: PluginBuild, context: TrimContext): void;
  verify?(result: BuildResult & { metafile: Metafile }, applied: readonly string[]): string | undefined;
}

const REVIEW = 'the AWS SDK layout changed: review lib/bundling/sdk-trims.ts';

function trim(definition: TrimDefinition): Plugin {
  return {
    name: definition.name,
    setup(build) {
      const applied: string[] = [];
      build.onStart(() => {
        applied.length = 0;
      });
      definition.setup(build, { applied: (what) => applied.push(what) });
      build.onEnd((result) => {
        if (result.errors.length > 0) return undefined;
        if (!result.metafile) return { errors: [{ text: `${definition.name}: the build needs metafile: true to check its trims` }] };
        const failure =
          applied.length === 0
            ? `matched nothing: ${REVIEW}`
            : definition.verify?.(result as BuildResult & { metafile: Metafile }, applied);
        return failure ? { errors: [{ text: `${definition.name}: ${failure}` }] } : undefined;
      });
    },
  };
}

/** Serves the code of every module resolved into `namespace` (a trim's own). */
function serveModules(build: PluginBuild, namespace: string, contents: (args: { path: string }) => string): void {
  build.onLoad({ filter: /.*/, namespace }, (args) => ({
    contents: contents(args),
    loader: 'js',
    resolveDir: (args.pluginData as { resolveDir?: string } | undefined)?.resolveDir ?? process.cwd(),
  }));
}

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/**
 * Credentials from the environment only. A Lambda function's credentials are always in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, yet each client's default chain
 * (`@aws-sdk/credential-provider-node`) bundles the SSO, INI, process, web-identity, container
 * and IMDS providers and the STS, SSO, SSO-OIDC and sign-in clients behind them (about 120 KB,
 * all loaded at init). Outside Lambda, where the environment has no keys, the bundle fails
 * loudly: "Unable to find environment variable credentials".
 */
export const environmentCredentialsOnly: Plugin = trim({
  name: 'environment-credentials-only',
  setup(build, context) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, async (args) => {
      if ((args.pluginData as { skip?: boolean } | undefined)?.skip) return undefined;
      // The environment provider the chain itself would use: resolved from the chain's package.
      const chain = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { skip: true } });
      if (chain.errors.length > 0) return { errors: chain.errors };
      context.applied(args.importer);
      return {
        path: args.path,
        namespace: 'environment-credentials-only',
        pluginData: { resolveDir: path.dirname(chain.path) },
      };
    });
    // Memoized as the chain memoizes its result (the SDK leaves that to the default provider):
    // read once, again only once an expiration (AWS_CREDENTIAL_EXPIRATION) has passed or when
    // the SDK asks for a refresh.
    serveModules(build, 'environment-credentials-only', () =>
      [
        "import { fromEnv } from '@aws-sdk/credential-provider-env';",
        'export const defaultProvider = (init) => {',
        '  const read = fromEnv(init);',
        '  let credentials;',
        '  return async (options) => {',
        '    if (!credentials || options?.forceRefresh || (credentials.expiration && credentials.expiration.getTime() <= Date.now())) credentials = await read();',
        '    return credentials;',
        '  };',
        '};',
      ].join('\n'),
    );
  },
  verify: ({ metafile }) => forbiddenInputs(metafile, [/node_modules[\\/]@aws-sdk[\\/]credential-provider-(?!env[\\/])/, /node_modules[\\/]@aws-sdk[\\/]nested-clients[\\/]/]),
});

/**
 * Built-in modules through `process.getBuiltinModule()` (Node >= 22.3) instead of ESM imports.
 * `import ... from "node:http"` makes Node build an ES module facade of the builtin, which reads
 * every export, lazy getters included: node:http's load undici (fetch, WebSocket), node:crypto's
 * WebCrypto, and so on, about 30 ms at cold start for the builtins the SDK imports. The CommonJS
 * object from getBuiltinModule has no facade; esbuild's interop reads a property when the code
 * uses it. It also serves `require()` of a builtin from CommonJS dependencies, so the bundle needs
 * no `createRequire` banner; the check below fails the build if any external import is left.
 */
export const builtinsWithoutEsmFacade: Plugin = trim({
  name: 'builtins-without-esm-facade',
  setup(build, context) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^(node:)?[a-z][a-z0-9_/]*$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtins.has(name) && !args.path.startsWith('node:')) return undefined;
      context.applied(name);
      return { path: name, namespace: 'builtins-without-esm-facade' };
    });
    serveModules(build, 'builtins-without-esm-facade', (args) =>
      `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});`,
    );
  },
  verify({ metafile }) {
    const left = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external));
    return left.length > 0 ? `external imports left in the bundle: ${left.map((entry) => `${entry.kind} ${entry.path}`).join(', ')}` : undefined;
  },
});

/**
 * Event streams: HttpProtocol imports `@smithy/core/event-streams` dynamically, only for
 * operations with an event-stream member, and none of the DynamoDB or SES operations used here
 * has one (about 15 KB). If one ever does, the stub throws instead of sending.
 */
export const noEventStreams: Plugin = trim({
  name: 'no-event-streams',
  setup(build, context) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) => {
      if (args.kind !== 'dynamic-import') {
        return { errors: [{ text: `${args.importer} imports ${args.path} statically: ${REVIEW}` }] };
      }
      context.applied(args.importer);
      return { path: args.path, namespace: 'no-event-streams' };
    });
    serveModules(build, 'no-event-streams', () =>
      [
        'const unbundled = () => { throw new Error("Event streams are not bundled (lib/bundling/sdk-trims.ts)"); };',
        'export class EventStreamSerde { constructor() { unbundled(); } }',
        'export const eventStreamSerdeProvider = unbundled;',
      ].join('\n'),
    );
  },
  verify: ({ metafile }) => forbiddenInputs(metafile, [/node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]event-streams[\\/]/]),
});

/**
 * DynamoDB endpoint discovery: the client constructor always builds its endpoint cache (an LRU
 * from mnemonist, about 9 KB), but no command of this SDK version adds the discovery middleware,
 * so nothing reads it. The stub keeps discovery off and refuses to be turned on.
 */
export const noEndpointDiscovery: Plugin = trim({
  name: 'no-endpoint-discovery',
  setup(build, context) {
    build.onResolve({ filter: /^@aws-sdk\/middleware-endpoint-discovery$/ }, (args) => {
      context.applied(args.importer);
      return { path: args.path, namespace: 'no-endpoint-discovery' };
    });
    serveModules(build, 'no-endpoint-discovery', () =>
      [
        'export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = { environmentVariableSelector: () => undefined, configFileSelector: () => undefined, default: false };',
        'export const resolveEndpointDiscoveryConfig = (input) => {',
        '  if (input.endpointDiscoveryEnabled) throw new Error("Endpoint discovery is not bundled (lib/bundling/sdk-trims.ts)");',
        '  return Object.assign(input, { endpointDiscoveryEnabled: () => Promise.resolve(false), isClientEndpointDiscoveryEnabled: false });',
        '};',
      ].join('\n'),
    );
  },
  verify: ({ metafile }) => forbiddenInputs(metafile, [/node_modules[\\/]mnemonist[\\/]/, /node_modules[\\/]@aws-sdk[\\/]endpoint-cache[\\/]/]),
});

/**
 * The pure-JavaScript SHA-256 (about 3.4 KB): the SDK's Node hash falls back to it only where
 * node:crypto cannot hash SHA-256, which no Lambda runtime lacks. The stub throws if it is ever
 * constructed.
 */
export const noPureJsSha256: Plugin = trim({
  name: 'no-pure-js-sha256',
  setup(build, context) {
    build.onResolve({ filter: /^\.\/(sha256\/)?Sha256Js$/ }, (args) => {
      if (!/[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]/.test(args.importer)) return undefined;
      context.applied(args.importer);
      return { path: args.path, namespace: 'no-pure-js-sha256' };
    });
    serveModules(build, 'no-pure-js-sha256', () =>
      'export class Sha256Js { constructor() { throw new Error("The pure-JavaScript SHA-256 is not bundled (lib/bundling/sdk-trims.ts)"); } }',
    );
  },
  verify: ({ metafile }) => forbiddenInputs(metafile, [/node_modules[\\/]@smithy[\\/]core[\\/].*[\\/]Sha256Js\.js$/]),
});

const SCHEMAS_MODULE = /[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/;
const REGISTER_ERROR = /^(\w+)_registry\.registerError\((\w+)\$, (\w+)\);$/gm;

/**
 * Only the modeled errors the code tells apart with `instanceof`. Each client registers every
 * modeled error class (and its schema) with a type registry when it loads, which pins all of them
 * in the bundle (DynamoDB 35, SES 34). An unregistered error still arrives as the client's
 * ServiceException carrying the wire error name in `name`, its message, `$fault` and
 * `$metadata`; that is all the SDK's retry decision and the service's logs read. The registry of
 * the ServiceException itself (`_s_registry`) stays.
 */
export function onlyModeledErrors(kept: readonly string[]): Plugin {
  return trim({
    name: 'only-modeled-errors',
    setup(build, context) {
      build.onLoad({ filter: SCHEMAS_MODULE }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const registrations = source.split('registerError(').length - 1;
        let matched = 0;
        const contents = source.replace(REGISTER_ERROR, (line, registry: string, _schema: string, errorClass: string) => {
          matched++;
          if (registry === '_s') return line;
          if (kept.includes(errorClass)) {
            context.applied(errorClass);
            return line;
          }
          return '';
        });
        if (matched === 0 || matched !== registrations) {
          return { errors: [{ text: `${args.path}: ${registrations} registerError calls, ${matched} in the expected form: ${REVIEW}` }] };
        }
        context.applied(args.path);
        return { contents, loader: 'js' };
      });
    },
    verify(_result, applied) {
      const missing = kept.filter((name) => !applied.includes(name));
      return missing.length > 0 ? `no client registers ${missing.join(', ')}: ${REVIEW}` : undefined;
    },
  });
}

const SDK_PACKAGE_JSON = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/;

/**
 * Each client imports its whole package.json (about 2.3 KB) for one field, the version in the
 * user agent. Before shrinking it to `{"version"}`, the importer is checked to read nothing else.
 */
export const packageJsonVersionOnly: Plugin = trim({
  name: 'package-json-version-only',
  setup(build, context) {
    build.onResolve({ filter: /package\.json$/ }, (args) => {
      if (!NODE_MODULES.test(args.importer) || !/[\\/]@aws-sdk[\\/]/.test(args.importer)) return undefined;
      const source = readFileSync(args.importer, 'utf8');
      const binding = new RegExp(`\\bimport (\\w+) from "${args.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).exec(source)?.[1];
      const uses = binding ? source.match(new RegExp(`\\b${binding}\\b(\\.\\w+)?`, 'g')) ?? [] : [];
      // The import itself, then only `<binding>.version`.
      if (!binding || uses.slice(1).some((use) => use !== `${binding}.version`)) {
        return { errors: [{ text: `${args.importer} reads more of ${args.path} than its version: ${REVIEW}` }] };
      }
      return undefined;
    });
    build.onLoad({ filter: SDK_PACKAGE_JSON }, (args) => {
      const { version } = JSON.parse(readFileSync(args.path, 'utf8')) as { version?: unknown };
      if (typeof version !== 'string') return { errors: [{ text: `${args.path} has no version: ${REVIEW}` }] };
      context.applied(args.path);
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
});

/** Modules matching `patterns` that contribute code to the bundle. */
function forbiddenInputs(metafile: Metafile, patterns: readonly RegExp[]): string | undefined {
  const found = Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .filter(([input, { bytesInOutput }]) => bytesInOutput > 0 && patterns.some((pattern) => pattern.test(input)))
    .map(([input]) => input);
  return found.length > 0 ? `still in the bundle: ${found.slice(0, 5).join(', ')}${found.length > 5 ? ', ...' : ''}` : undefined;
}

/** Every trim, in the order they apply. `keepModeledErrors`: see onlyModeledErrors. */
export function sdkTrims(keepModeledErrors: readonly string[]): Plugin[] {
  return [
    environmentCredentialsOnly,
    builtinsWithoutEsmFacade,
    noEventStreams,
    noEndpointDiscovery,
    noPureJsSha256,
    onlyModeledErrors(keepModeledErrors),
    packageJsonVersionOnly,
  ];
}
