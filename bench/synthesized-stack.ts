/**
 * The functions as `cdk synth` writes them: each function's bundle (the asset the template
 * points at) and its environment variables, read from the template, for the project in `dir`
 * (this checkout, or another one to compare with).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FUNCTIONS, type ApiName } from '../lambdas/routes.js';

export interface SynthesizedFunction {
  readonly api: ApiName;
  readonly logicalId: string;
  /** index.mjs (or .js) of the function's asset. */
  readonly bundle: string;
  readonly bytes: number;
  /** The template's variables; a reference to another resource is kept as `{ Ref }`. */
  readonly variables: Readonly<Record<string, string | { Ref: string }>>;
}

export interface SynthesizedStack {
  /** A label for tables: `this checkout`, or the directory compared with. */
  readonly label: string;
  readonly functions: Readonly<Record<ApiName, SynthesizedFunction>>;
}

/**
 * Runs `cdk synth -q` in `dir` into `outdir` and reads the two functions back. The sender check
 * is skipped (`allowUnverifiableSender`): it decides the SES identity, never the bundles.
 */
export function synthesizeStack(dir: string, outdir: string, label: string): SynthesizedStack {
  try {
    execFileSync('npx', ['cdk', 'synth', '-q', '--output', outdir, '-c', 'allowUnverifiableSender=true'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    throw new Error(`cdk synth failed in ${dir}:\n${(error as { stderr?: string }).stderr ?? error}`);
  }
  const templateFile = readdirSync(outdir).find((file) => file.endsWith('.template.json'));
  if (!templateFile) throw new Error(`cdk synth in ${dir} wrote no template to ${outdir}`);
  const template = JSON.parse(readFileSync(path.join(outdir, templateFile), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, unknown>; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  const read = (api: ApiName): SynthesizedFunction => {
    const { logicalId } = FUNCTIONS[api];
    const resource = template.Resources[logicalId];
    const assetPath = resource?.Metadata?.['aws:asset:path'];
    if (resource?.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') {
      throw new Error(`${templateFile} has no bundled function ${logicalId}`);
    }
    const assetDir = path.join(outdir, assetPath);
    const file = readdirSync(assetDir).find((name) => /^index\.m?js$/.test(name));
    if (!file) throw new Error(`no index.mjs in ${assetDir}`);
    const bundle = path.join(assetDir, file);
    const variables = (resource.Properties.Environment?.Variables ?? {}) as SynthesizedFunction['variables'];
    return { api, logicalId, bundle, bytes: statSync(bundle).size, variables };
  };
  return { label, functions: { iam: read('iam'), rpc: read('rpc') } };
}

/**
 * The function's variables with every reference resolved for a run off AWS: each `*_SECRET_ARN`
 * from `secretArns` (by variable name), the table and the configuration set from `names`.
 */
export function resolvedVariables(
  fn: SynthesizedFunction,
  names: { tableName: string; configurationSet: string; secretArns: Readonly<Record<string, string>> },
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.variables)) {
    const replacement = typeof value === 'string' ? value : name === 'TABLE_NAME' ? names.tableName : name === 'SES_CONFIGURATION_SET' ? names.configurationSet : names.secretArns[name];
    if (replacement === undefined) throw new Error(`${fn.logicalId}: no bench value for ${name} (${JSON.stringify(value)})`);
    resolved[name] = replacement;
  }
  return resolved;
}
