/**
 * EventBridge's event patterns and EventBridge Pipes' input templates, evaluated locally, so
 * `npm start` and the tests apply the pipe's own filter and template (the values the stack
 * synthesizes) to real stream records from DynamoDB Local. Local only: nothing here is deployed.
 *
 * Patterns follow EventBridge's documented matching: every field a pattern names must be in the
 * event; an array of matchers matches when any matcher matches the value (or, for an array
 * value, any of its elements); nested objects match field by field; `$or` takes alternatives.
 * Matchers: exact values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but`, `exists`,
 * `numeric` and `wildcard`. Any other operator throws rather than guessing.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `event` matches the EventBridge event pattern `pattern`. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('an event pattern is a JSON object');
  return matchesObject(pattern, event);
}

function matchesObject(pattern: JsonObject, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected)) throw new Error('$or takes an array of patterns');
      return expected.some((alternative) => isObject(alternative) && matchesObject(alternative, event));
    }
    const present = isObject(event) && Object.hasOwn(event, key);
    const value = present ? (event as JsonObject)[key] : undefined;
    if (Array.isArray(expected)) return matchesField(expected, present, value);
    if (isObject(expected)) return present && matchesObject(expected, value);
    throw new Error(`pattern field "${key}" must be an array of matchers or an object`);
  });
}

function matchesField(matchers: readonly Json[], present: boolean, value: Json | undefined): boolean {
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      // `exists` is about leaves: an object, or an absent field, is not an existing value.
      const exists = present && !isObject(value) && !(Array.isArray(value) && value.length === 0);
      return matcher.exists === exists;
    }
    if (!present) return false;
    const candidates = Array.isArray(value) ? value : [value];
    return candidates.some((candidate) => matchesValue(matcher, candidate as Json));
  });
}

function matchesValue(matcher: Json, value: Json): boolean {
  if (!isObject(matcher)) {
    if (typeof matcher === 'number' && typeof value === 'number') return matcher === value;
    return matcher === value;
  }
  const entries = Object.entries(matcher);
  if (entries.length !== 1) throw new Error(`a matcher has one operator, got ${JSON.stringify(matcher)}`);
  const [operator, operand] = entries[0]!;
  switch (operator) {
    case 'prefix':
      return stringAffix(operand, value, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return stringAffix(operand, value, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return typeof operand === 'string' && typeof value === 'string' && operand.toLowerCase() === value.toLowerCase();
    case 'anything-but':
      return anythingBut(operand, value);
    case 'numeric':
      return numeric(operand, value);
    case 'wildcard':
      return typeof operand === 'string' && typeof value === 'string' && wildcard(operand).test(value);
    default:
      throw new Error(`unsupported event pattern operator "${operator}"`);
  }
}

/** `prefix` / `suffix`, plain or `{"equals-ignore-case": ...}`; strings only. */
function stringAffix(operand: Json, value: Json, test: (text: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  throw new Error(`unsupported prefix/suffix operand ${JSON.stringify(operand)}`);
}

function anythingBut(operand: Json, value: Json): boolean {
  if (Array.isArray(operand)) return !operand.some((excluded) => matchesValue(excluded, value));
  if (isObject(operand)) return !matchesValue(operand, value);
  return !matchesValue(operand, value);
}

const COMPARISONS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `{"numeric": [">", 0, "<=", 5]}`: every comparison holds, numbers only. */
function numeric(operand: Json, value: Json): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`numeric takes operator/number pairs, got ${JSON.stringify(operand)}`);
  }
  if (typeof value !== 'number') return false;
  for (let i = 0; i < operand.length; i += 2) {
    const compare = COMPARISONS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number') throw new Error(`numeric: bad comparison ${JSON.stringify(operand)}`);
    if (!compare(value, bound)) return false;
  }
  return true;
}

function wildcard(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's');
}

// ---------------------------------------------------------------------------------------------
// Input templates

/**
 * Renders a Pipes input template against one event: each `<$.json.path>` (dot names and `[n]`
 * indices) and each reserved `<aws.pipes....>` variable is replaced. Inside a JSON string a
 * value is inserted as string content, escaped so the result stays valid JSON; outside one, as
 * JSON. A path that the event does not have throws: the pipe's template must never meet one.
 */
export function renderInputTemplate(template: string, event: unknown, reserved: Readonly<Record<string, string>> = {}): string {
  let output = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '<' && (template.startsWith('<$', i) || template.startsWith('<aws.pipes.', i))) {
      const end = template.indexOf('>', i);
      if (end === -1) throw new Error(`unterminated variable at ${i} in the input template`);
      const variable = template.slice(i + 1, end);
      const value = variable.startsWith('$') ? jsonPath(event, variable) : reservedVariable(reserved, variable);
      output += inString ? stringContent(value, variable) : JSON.stringify(value);
      i = end;
      continue;
    }
    if (char === '"' && !isEscaped(template, i)) inString = !inString;
    output += char;
  }
  return output;
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let j = index - 1; j >= 0 && text[j] === '\\'; j--) backslashes++;
  return backslashes % 2 === 1;
}

function stringContent(value: unknown, variable: string): string {
  if (typeof value === 'string') return JSON.stringify(value).slice(1, -1);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${variable} is not a scalar, so it cannot stand inside a string`);
}

function reservedVariable(reserved: Readonly<Record<string, string>>, variable: string): string {
  const value = reserved[variable];
  if (value === undefined) throw new Error(`reserved variable <${variable}> has no local value`);
  return value;
}

/** `$`, `$.a.b`, `$.a[2].b`. */
function jsonPath(event: unknown, path: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_/-]+(\[\d+\])*)*$/.test(path)) throw new Error(`unsupported JSON path ${path}`);
  let current: unknown = event;
  for (const step of path.slice(1).match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step.slice(1);
    const container = current as Record<string | number, unknown> | null;
    if (container === null || typeof container !== 'object' || !Object.hasOwn(container, key)) {
      throw new Error(`the event has no ${path}`);
    }
    current = container[key];
  }
  return current;
}
