/**
 * Validates IAM responses against the project's own OpenAPI document (openapi/iam-api.yaml):
 * the status must be documented for the operation, the body must match the documented schema
 * (components refs resolved), and documented headers (Retry-After) must be present when required
 * and integers when the document says integer.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

type Json = Record<string, unknown>;

const DOCUMENT_URL = new URL('../../openapi/iam-api.yaml', import.meta.url);
const SCHEMA_ID = 'iam-api';

export interface OpenApiDocument {
  readonly openapi: string;
  readonly servers: readonly { url: string }[];
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: { schemas: Record<string, Json>; responses?: Record<string, Json> } & Json;
}

let loaded: { document: OpenApiDocument; ajv: Ajv; validators: Map<string, ValidateFunction> } | undefined;

/** The parsed document (loaded once per test file). */
export function iamOpenApiDocument(): OpenApiDocument {
  return load().document;
}

function load() {
  if (loaded) return loaded;
  const document = parse(readFileSync(DOCUMENT_URL, 'utf8')) as OpenApiDocument;
  // OpenAPI 3.0 annotations that are not JSON Schema keywords (ajv knows `nullable` itself).
  const annotations = new Set<string>(['example', 'xml', 'externalDocs']);
  collectExtensionKeys(document.components.schemas, annotations);
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addVocabulary([...annotations]);
  ajv.addSchema({ $id: SCHEMA_ID, definitions: rewriteRefs(document.components.schemas) });
  loaded = { document, ajv, validators: new Map() };
  return loaded;
}

function collectExtensionKeys(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((item) => collectExtensionKeys(item, into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith('x-')) into.add(key);
      else collectExtensionKeys(child, into);
    }
  }
}

/** `#/components/schemas/X` -> `iam-api#/definitions/X`, everywhere in a (copied) schema. */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value === null || typeof value !== 'object') return value;
  const result: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') {
      const match = /^#\/components\/schemas\/(.+)$/.exec(child);
      if (!match) throw new Error(`unsupported $ref ${child} in openapi/iam-api.yaml`);
      result[key] = `${SCHEMA_ID}#/definitions/${match[1]}`;
    } else if (key.startsWith('x-') || key === 'example') {
      result[key] = child; // annotations: kept as they are, never rewritten
    } else {
      result[key] = rewriteRefs(child);
    }
  }
  return result as T;
}

/** Follows a `#/components/...` reference (responses, headers) to its object. */
function deref(document: OpenApiDocument, value: Json): Json {
  let current = value;
  for (let hops = 0; typeof current.$ref === 'string'; hops += 1) {
    if (hops > 10) throw new Error(`reference loop at ${String(value.$ref)}`);
    const pointer = (current.$ref as string).replace(/^#\//, '').split('/');
    let target: unknown = document;
    for (const part of pointer) target = (target as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined || target === null || typeof target !== 'object') {
      throw new Error(`unresolvable $ref ${String(current.$ref)} in openapi/iam-api.yaml`);
    }
    current = target as Json;
  }
  return current;
}

function validatorFor(key: string, schema: Json): ValidateFunction {
  const state = load();
  let validator = state.validators.get(key);
  if (!validator) {
    validator = state.ajv.compile(rewriteRefs(schema));
    state.validators.set(key, validator);
  }
  return validator;
}

/** `/api/v1/users/x` and `/users/x` both name the operation at `/users/x`. */
function operationOf(document: OpenApiDocument, operationPath: string, method: string): Json {
  const candidates = [operationPath];
  for (const server of document.servers) {
    const basePath = new URL(server.url).pathname.replace(/\/+$/, '');
    if (basePath && operationPath.startsWith(`${basePath}/`)) candidates.push(operationPath.slice(basePath.length));
  }
  for (const candidate of candidates) {
    const operation = document.paths[candidate]?.[method.toLowerCase()];
    if (operation) return operation;
  }
  throw new Error(`openapi/iam-api.yaml documents no ${method.toUpperCase()} ${operationPath}`);
}

type HeaderSource = Headers | Readonly<Record<string, unknown>> | undefined | null;

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name.toLowerCase() && value !== undefined && value !== null) return String(value);
  }
  return undefined;
}

/** The status's documented response: exact code, then `4XX`-style ranges, then `default`. */
function responseFor(document: OpenApiDocument, operation: Json, status: number): Json | undefined {
  const responses = (operation.responses ?? {}) as Record<string, Json>;
  const documented = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  return documented ? deref(document, documented) : undefined;
}

/**
 * Everything wrong with one response, as messages (empty when it matches the document).
 * `body` may be the raw text or the parsed value.
 */
export function iamResponseProblems(
  operationPath: string,
  method: string,
  status: number,
  headers: HeaderSource,
  body: unknown,
): string[] {
  const { document } = load();
  const operation = operationOf(document, operationPath, method);
  const response = responseFor(document, operation, status);
  const where = `${method.toUpperCase()} ${operationPath} ${status}`;
  if (!response) return [`${where}: status ${status} is not documented`];
  const problems: string[] = [];

  for (const [name, rawHeader] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const header = deref(document, rawHeader);
    const value = headerOf(headers, name);
    if (value === undefined) {
      if (header.required === true) problems.push(`${where}: required header ${name} is missing`);
      continue;
    }
    const type = (header.schema as Json | undefined)?.type;
    if (type === 'integer' && !/^-?\d+$/.test(value.trim())) {
      problems.push(`${where}: header ${name} must be an integer, got ${JSON.stringify(value)}`);
    }
  }

  const content = response.content as Record<string, Json> | undefined;
  const hasBody = body !== undefined && body !== null && body !== '';
  if (!content) {
    if (hasBody) problems.push(`${where}: documented without a body, got ${JSON.stringify(body)}`);
    return problems;
  }
  const contentType = headerOf(headers, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && !(mediaType in content)) {
    problems.push(`${where}: Content-Type ${contentType} is not one of ${Object.keys(content).join(', ')}`);
    return problems;
  }
  const documentedType = mediaType ?? Object.keys(content)[0]!;
  if (!hasBody) return [...problems, `${where}: body missing (documented as ${documentedType})`];
  let parsed = body;
  if (typeof body === 'string' && documentedType.endsWith('json')) {
    try {
      parsed = JSON.parse(body);
    } catch {
      return [...problems, `${where}: body is not JSON: ${body.slice(0, 200)}`];
    }
  }
  const schema = content[documentedType]?.schema as Json | undefined;
  if (schema) {
    const validate = validatorFor(`${where} ${documentedType}`, schema);
    if (!validate(parsed)) {
      for (const error of validate.errors ?? []) {
        problems.push(`${where}: body${error.instancePath} ${error.message ?? 'is invalid'} (${error.schemaPath})`);
      }
    }
  }
  return problems;
}

/** Throws (failing the test) unless the response is what the OpenAPI document says it may be. */
export function expectIamResponse(
  operationPath: string,
  method: string,
  status: number,
  headers: HeaderSource,
  body: unknown,
): void {
  const problems = iamResponseProblems(operationPath, method, status, headers, body);
  if (problems.length > 0) {
    throw new Error(`Response does not match openapi/iam-api.yaml:\n  ${problems.join('\n  ')}\nbody: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

export interface IamResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface IamCallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Sent as JSON unless a string (sent as is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * POSTs to an IAM route of a running API and validates the response with expectIamResponse
 * before returning it; `path` is the full path (`/api/v1/users/...`).
 */
export async function callIam<T = Record<string, unknown>>(baseUrl: string, path: string, options: IamCallOptions = {}): Promise<IamResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  expectIamResponse(path, 'POST', response.status, response.headers, text);
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}
