/**
 * The bundle trims fail the build, naming themselves, when the SDK no longer looks the way they
 * expect; each case builds a small fixture package laid out like the SDK, then changes it.
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODELED_ERRORS_IN_USE } from '../../../lib/bundling/lambda-bundle.js';
import {
  builtinsWithoutEsmFacade,
  environmentCredentialsOnly,
  noEndpointDiscovery,
  noEventStreams,
  noPureJsSha256,
  onlyModeledErrors,
  packageJsonVersionOnly,
} from '../../../lib/bundling/sdk-trims.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sdk-trims-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(tree: Record<string, string>): void {
  for (const [file, contents] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), contents);
  }
}

function sdkPackage(name: string, entry: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [`node_modules/${name}/package.json`]: JSON.stringify({ name, version: '3.1.0', module: './dist-es/index.js', description: 'x'.repeat(500) }),
    [`node_modules/${name}/dist-es/index.js`]: entry,
    ...Object.fromEntries(Object.entries(extra).map(([file, contents]) => [`node_modules/${name}/${file}`, contents])),
  };
}

async function bundle(entry: string, plugins: Plugin[], external: string[] = []): Promise<string> {
  files({ 'entry.js': entry });
  const result = await build({
    entryPoints: [path.join(dir, 'entry.js')],
    absWorkingDir: dir,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    metafile: true,
    logLevel: 'silent',
    external,
    plugins,
  });
  return result.outputFiles[0]!.text;
}

const SCHEMAS = (lines: string) => `
import { TypeRegistry } from "./registry.js";
import { AError, BError, KeptError } from "./errors.js";
export const AError$ = [-3, "A"]; export const BError$ = [-3, "B"]; export const KeptError$ = [-3, "K"];
const _s_registry = new TypeRegistry("s");
const n0_registry = new TypeRegistry("n0");
${lines}
`;
const ERRORS = 'export class AError extends Error {} export class BError extends Error {} export class KeptError extends Error {}';
const REGISTRY = 'export class TypeRegistry { constructor(n) { this.n = n; this.errors = []; } registerError(s, c) { this.errors.push(c.name); } }';

describe('onlyModeledErrors', () => {
  function clientWithSchemas(lines: string) {
    files(
      sdkPackage('@aws-sdk/client-fake', 'export * from "./schemas/schemas_0.js";', {
        'dist-es/schemas/schemas_0.js': SCHEMAS(lines),
        'dist-es/schemas/errors.js': ERRORS,
        'dist-es/schemas/registry.js': REGISTRY,
      }),
    );
  }
  const entry = 'import "@aws-sdk/client-fake";';

  test('keeps the registrations of the kept errors and drops the others', async () => {
    clientWithSchemas('n0_registry.registerError(AError$, AError);\nn0_registry.registerError(KeptError$, KeptError);\nn0_registry.registerError(BError$, BError);');
    const output = await bundle(entry, [onlyModeledErrors(['KeptError'])]);
    expect(output).toContain('registerError(KeptError$, KeptError)');
    expect(output).not.toContain('registerError(AError$');
    expect(output).not.toContain('registerError(BError$');
  });

  test('fails when a registration is written in another form', async () => {
    clientWithSchemas('n0_registry.registerError(AError$, AError);\nn0_registry.registerError(KeptError$, KeptError, { retryable: true });');
    await expect(bundle(entry, [onlyModeledErrors(['KeptError'])])).rejects.toThrow(/2 registerError calls, 1 in the expected form/);
  });

  test('fails when no client registers an error it should keep', async () => {
    clientWithSchemas('n0_registry.registerError(AError$, AError);');
    await expect(bundle(entry, [onlyModeledErrors(['KeptError'])])).rejects.toThrow(/only-modeled-errors: no client registers KeptError/);
  });

  test('the kept list is exactly the SDK errors src/ tells apart with instanceof', () => {
    const sources: string[] = [];
    const walk = (folder: string) => {
      for (const name of readdirSync(folder)) {
        const file = path.join(folder, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (name.endsWith('.ts')) sources.push(readFileSync(file, 'utf8'));
      }
    };
    walk(path.join(ROOT, 'src'));
    walk(path.join(ROOT, 'lambdas'));
    const tested = new Set<string>();
    for (const source of sources) {
      const imported = [...source.matchAll(/import\s*{([^}]*)}\s*from\s*'@aws-sdk\/[^']+'/g)].flatMap((match) =>
        match[1]!
          .split(',')
          .map((name) => name.replace(/^\s*type\s+/, '').trim())
          .filter(Boolean),
      );
      for (const name of imported) if (new RegExp(`instanceof ${name}\\b`).test(source)) tested.add(name);
    }
    expect([...MODELED_ERRORS_IN_USE].sort()).toEqual([...tested].sort());
  });
});

describe('packageJsonVersionOnly', () => {
  test("shrinks a client's package.json to its version", async () => {
    files(sdkPackage('@aws-sdk/client-fake', 'import info from "../package.json"; export const version = info.version;'));
    const output = await bundle('export { version } from "@aws-sdk/client-fake";', [packageJsonVersionOnly]);
    expect(output).toContain('3.1.0');
    expect(output).not.toContain('xxxxxxxxxx');
  });

  test('fails when the client reads another field', async () => {
    files(sdkPackage('@aws-sdk/client-fake', 'import info from "../package.json"; export const id = info.name + info.version;'));
    await expect(bundle('export { id } from "@aws-sdk/client-fake";', [packageJsonVersionOnly])).rejects.toThrow(/reads more of \.\.\/package\.json than its version/);
  });
});

describe('environmentCredentialsOnly', () => {
  test("replaces the default chain with the environment provider, from the chain's own dependency", async () => {
    files({
      ...sdkPackage('@aws-sdk/credential-provider-node', 'import "./chain.js"; export const defaultProvider = () => "whole chain";', {
        'dist-es/chain.js': 'export const sso = "sso, ini, process, imds";',
      }),
      ...sdkPackage(
        '@aws-sdk/credential-provider-env',
        'let reads = 0; export const fromEnv = () => async () => ({ accessKeyId: "environment", read: ++reads });',
      ),
    });
    const output = await bundle('import { defaultProvider } from "@aws-sdk/credential-provider-node"; export const provider = defaultProvider();', [
      environmentCredentialsOnly,
    ]);
    expect(output).not.toContain('whole chain');
    expect(output).not.toContain('sso, ini');
    // Read once and kept, as the chain keeps what it found; read again on a forced refresh.
    files({ 'provider.mjs': output });
    const { provider } = (await import(pathToFileURL(path.join(dir, 'provider.mjs')).href)) as {
      provider: (options?: { forceRefresh?: boolean }) => Promise<{ accessKeyId: string; read: number }>;
    };
    expect(await provider()).toEqual({ accessKeyId: 'environment', read: 1 });
    expect((await provider()).read).toBe(1);
    expect((await provider({ forceRefresh: true })).read).toBe(2);
  });

  test('fails when nothing imports the chain any more', async () => {
    await expect(bundle('export const x = 1;', [environmentCredentialsOnly])).rejects.toThrow(/environment-credentials-only: matched nothing/);
  });
});

describe('builtinsWithoutEsmFacade', () => {
  test('serves builtins from process.getBuiltinModule, for import and require alike', async () => {
    const output = await bundle('import { createHash } from "node:crypto"; const os = require("os"); export const x = [createHash, os];', [
      builtinsWithoutEsmFacade,
    ]);
    expect(output).toContain('process.getBuiltinModule("node:crypto")');
    expect(output).toContain('process.getBuiltinModule("node:os")');
    expect(output).not.toMatch(/from\s*"node:crypto"/);
  });

  test('fails when an external import would be left for run time', async () => {
    await expect(bundle('import "node:os"; import x from "left-outside"; export default x;', [builtinsWithoutEsmFacade], ['left-outside'])).rejects.toThrow(
      /external imports left in the bundle: import-statement left-outside/,
    );
  });
});

describe('noEventStreams', () => {
  test('stubs the dynamic import and fails on a static one', async () => {
    const output = await bundle('export const load = () => import("@smithy/core/event-streams");', [noEventStreams]);
    expect(output).toContain('Event streams are not bundled');
    await expect(bundle('import { EventStreamSerde } from "@smithy/core/event-streams"; export { EventStreamSerde };', [noEventStreams])).rejects.toThrow(
      /imports @smithy\/core\/event-streams statically/,
    );
  });
});

describe('noEndpointDiscovery', () => {
  test('fails when a client imports anything the stub does not provide', async () => {
    const entry = 'import { getEndpointDiscoveryPlugin } from "@aws-sdk/middleware-endpoint-discovery"; export { getEndpointDiscoveryPlugin };';
    await expect(bundle(entry, [noEndpointDiscovery])).rejects.toThrow(/No matching export .* for import "getEndpointDiscoveryPlugin"/);
  });

  test('keeps discovery off and refuses to turn it on', async () => {
    const output = await bundle(
      'import { resolveEndpointDiscoveryConfig } from "@aws-sdk/middleware-endpoint-discovery"; export { resolveEndpointDiscoveryConfig };',
      [noEndpointDiscovery],
    );
    files({ 'stub.mjs': output });
    const { resolveEndpointDiscoveryConfig } = (await import(pathToFileURL(path.join(dir, 'stub.mjs')).href)) as {
      resolveEndpointDiscoveryConfig: (input: object) => { endpointDiscoveryEnabled: () => Promise<boolean> };
    };
    await expect(resolveEndpointDiscoveryConfig({}).endpointDiscoveryEnabled()).resolves.toBe(false);
    expect(() => resolveEndpointDiscoveryConfig({ endpointDiscoveryEnabled: true })).toThrow(/Endpoint discovery is not bundled/);
  });
});

describe('noPureJsSha256', () => {
  test('fails when the fallback is imported from anywhere else', async () => {
    files(
      sdkPackage('@smithy/core', 'export { Sha256Node } from "./submodules/checksum/sha256/Sha256Node.js"; export { Sha256Js } from "./submodules/checksum/other/Sha256Js.js";', {
        'dist-es/submodules/checksum/sha256/Sha256Node.js': 'import { Sha256Js } from "./Sha256Js"; export const Sha256Node = Sha256Js;',
        'dist-es/submodules/checksum/sha256/Sha256Js.js': 'export class Sha256Js { digest() { return "pure js"; } }',
        'dist-es/submodules/checksum/other/Sha256Js.js': 'export class Sha256Js { digest() { return "pure js, elsewhere"; } }',
      }),
    );
    await expect(bundle('import { Sha256Js } from "@smithy/core"; export const x = new Sha256Js();', [noPureJsSha256])).rejects.toThrow(
      /no-pure-js-sha256: still in the bundle: .*Sha256Js\.js/,
    );
  });
});
