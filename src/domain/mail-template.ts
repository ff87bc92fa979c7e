/**
 * The mail template language: a small, logic-less subset of Mustache, so operators can write
 * their own subject, text and HTML per language.
 *
 *   {{code}} {{email}} {{product}} {{lifetime}} {{minutes}} {{link}}   a value
 *   {{#link}} ... {{/link}}                    only when the mail has a link (RPC mails do)
 *   {{^link}} ... {{/link}}                    only when it has none (IAM mails)
 *   {{#previousCodeStillWorks}} ... {{/previousCodeStillWorks}}
 *                                              only when the code mailed before stays valid
 *
 * In HTML every value is escaped, and there is no syntax that skips it (`{{{x}}}` and `{{&x}}`
 * are refused). Escaping is enough only where a value lands in text or in a quoted attribute,
 * so a template that puts one anywhere else (a bare attribute, a tag name, `<script>`,
 * `<style>`, an event handler or style attribute, or the start of a URL attribute other than
 * `{{link}}`) is refused when it is compiled. Templates are compiled once, at start-up; a
 * render is string concatenation.
 */
import { escapeHtml } from '../html/escape-html.js';

export const TEMPLATE_VALUES = ['product', 'email', 'code', 'lifetime', 'minutes', 'link'] as const;
export const TEMPLATE_SECTIONS = ['link', 'previousCodeStillWorks'] as const;

export type TemplateValueName = (typeof TEMPLATE_VALUES)[number];
export type TemplateSectionName = (typeof TEMPLATE_SECTIONS)[number];

/** What one mail fills a template with. */
export interface TemplateValues {
  readonly product: string;
  readonly email: string;
  readonly code: string;
  readonly lifetime: string;
  /** Present only when the code lives a whole number of minutes. */
  readonly minutes?: string;
  readonly link?: string;
  readonly previousCodeStillWorks: boolean;
}

/** subject: one line of plain text; text: the plain-text part; html: the HTML part (escaped). */
export type TemplatePart = 'subject' | 'text' | 'html';

/** A template that cannot be used, with where and why. */
export class MailTemplateError extends Error {
  override name = 'MailTemplateError';
}

export interface CompiledTemplate {
  readonly part: TemplatePart;
  /** The values it shows (anywhere, sections included). */
  readonly uses: ReadonlySet<TemplateValueName>;
  render(values: TemplateValues): string;
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly name: TemplateValueName; readonly line: number; readonly id: number }
  | { readonly kind: 'section'; readonly name: TemplateSectionName; readonly inverted: boolean; readonly children: Node[] };

type Token =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'tag'; readonly sigil: '' | '#' | '^' | '/'; readonly name: string; readonly line: number };

const TAG = /\{\{([\s\S]*?)\}\}/g;
const TAG_BODY = /^\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9]*)\s*$/;
const STANDALONE_SECTION_LINE = /^[ \t]*\{\{\s*[#^/]\s*[A-Za-z][A-Za-z0-9]*\s*\}\}[ \t]*\r?(\n|$)/;

/**
 * Compiles a template, or throws MailTemplateError naming `source` and the line. `source` says
 * where the template came from (a file name), for the message.
 */
export function compileTemplate(template: string, part: TemplatePart, source: string): CompiledTemplate {
  const fail = (line: number, message: string): never => {
    throw new MailTemplateError(`${source}, line ${line}: ${message}`);
  };
  const body = part === 'subject' ? template.replace(/\s+$/, '') : template;
  if (part === 'subject' && /[\r\n]/.test(body)) fail(1, 'a subject is one line');
  const nodes = parse(tokenize(body, fail), fail);
  const uses = new Set<TemplateValueName>();
  checkNodes(nodes, [], uses, fail);
  if (part !== 'subject' && !nodes.some((node) => node.kind === 'value' && node.name === 'code')) {
    fail(1, 'the template must show {{code}} outside any section, so that every mail carries the code');
  }
  if (part === 'html') checkHtmlContexts(nodes, fail);
  const escape = part === 'html' ? escapeHtml : (value: string) => value;
  return { part, uses, render: (values) => renderNodes(nodes, values, escape) };
}

function tokenize(template: string, fail: (line: number, message: string) => never): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let rest = template;
  let atLineStart = true;
  while (rest.length > 0) {
    // A section tag alone on its line takes the line with it, so text templates stay tidy.
    const standalone = atLineStart ? STANDALONE_SECTION_LINE.exec(rest) : null;
    if (standalone) {
      const inner = /\{\{([\s\S]*?)\}\}/.exec(standalone[0])!;
      tokens.push(tagToken(inner[1]!, line, fail));
      if (standalone[1] === '\n') line += 1;
      rest = rest.slice(standalone[0].length);
      atLineStart = true;
      continue;
    }
    const newline = rest.indexOf('\n');
    const lineText = newline === -1 ? rest : rest.slice(0, newline + 1);
    let last = 0;
    for (const match of lineText.matchAll(TAG)) {
      if (match.index > last) tokens.push({ kind: 'text', text: lineText.slice(last, match.index) });
      tokens.push(tagToken(match[1]!, line, fail));
      last = match.index + match[0].length;
    }
    const tail = lineText.slice(last);
    if (tail.includes('{{')) fail(line, 'a "{{" that is not a placeholder: every {{ needs its }} on the same line');
    if (tail.length > 0) tokens.push({ kind: 'text', text: tail });
    rest = rest.slice(lineText.length);
    if (newline !== -1) line += 1;
    atLineStart = true;
  }
  return tokens;
}

function tagToken(inner: string, line: number, fail: (line: number, message: string) => never): Token {
  if (inner.startsWith('{') || inner.trimStart().startsWith('&')) {
    fail(line, `"{{${inner}}}" would skip HTML escaping, which templates do not allow: write {{name}}`);
  }
  const match = TAG_BODY.exec(inner);
  if (!match) fail(line, `"{{${inner}}}" is not a placeholder: write {{name}}, {{#name}}, {{^name}} or {{/name}}`);
  return { kind: 'tag', sigil: match![1] as '' | '#' | '^' | '/', name: match![2]!, line };
}

function parse(tokens: readonly Token[], fail: (line: number, message: string) => never): Node[] {
  const root: Node[] = [];
  const stack: Array<{ name: string; line: number; children: Node[] }> = [];
  let ids = 0;
  const current = () => stack[stack.length - 1]?.children ?? root;
  for (const token of tokens) {
    if (token.kind === 'text') {
      current().push(token);
      continue;
    }
    const { sigil, name, line } = token;
    if (sigil === '') {
      if (!(TEMPLATE_VALUES as readonly string[]).includes(name)) {
        fail(line, `unknown placeholder {{${name}}}; the values are ${TEMPLATE_VALUES.map((v) => `{{${v}}}`).join(', ')}`);
      }
      current().push({ kind: 'value', name: name as TemplateValueName, line, id: ids++ });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (!open) fail(line, `{{/${name}}} closes a section that was never opened`);
      if (open!.name !== name) fail(line, `{{/${name}}} closes {{#${open!.name}}} (opened on line ${open!.line})`);
    } else {
      if (!(TEMPLATE_SECTIONS as readonly string[]).includes(name)) {
        fail(line, `unknown section {{${sigil}${name}}}; the sections are ${TEMPLATE_SECTIONS.map((s) => `{{#${s}}}`).join(', ')}`);
      }
      const section = { kind: 'section' as const, name: name as TemplateSectionName, inverted: sigil === '^', children: [] as Node[] };
      current().push(section);
      stack.push({ name, line, children: section.children });
    }
  }
  const unclosed = stack.pop();
  if (unclosed) fail(unclosed.line, `{{#${unclosed.name}}} is never closed with {{/${unclosed.name}}}`);
  return root;
}

/** Rules that hold whatever the part: a link is shown only where the mail has one. */
function checkNodes(
  nodes: readonly Node[],
  open: ReadonlyArray<{ name: TemplateSectionName; inverted: boolean }>,
  uses: Set<TemplateValueName>,
  fail: (line: number, message: string) => never,
): void {
  for (const node of nodes) {
    if (node.kind === 'value') {
      uses.add(node.name);
      if (node.name === 'link' && !open.some((section) => section.name === 'link' && !section.inverted)) {
        fail(node.line, '{{link}} must stand inside {{#link}} ... {{/link}}: mails of the IAM API have no link');
      }
    } else if (node.kind === 'section') {
      checkNodes(node.children, [...open, { name: node.name, inverted: node.inverted }], uses, fail);
    }
  }
}

function renderNodes(nodes: readonly Node[], values: TemplateValues, escape: (value: string) => string): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') out += escape(values[node.name] ?? '');
    else if (sectionOn(node.name, values) !== node.inverted) out += renderNodes(node.children, values, escape);
  }
  return out;
}

function sectionOn(name: TemplateSectionName, values: TemplateValues): boolean {
  return name === 'link' ? values.link !== undefined && values.link !== '' : values.previousCodeStillWorks;
}

// ---------------------------------------------------------------------------------------------
// Where a value lands in the HTML

/** Attributes whose value is a URL: a value may start one only if it is our own link. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'background', 'poster', 'cite', 'xlink:href', 'data', 'srcset']);
/** A fixed scheme and host (and the path's first slash), or mailto: what follows cannot redirect the URL. */
const SAFE_URL_START = /^(https?:\/\/[^\s"'<>/?#]+[/?#]|mailto:)/i;
const RAW_TEXT_ELEMENTS = new Set(['script', 'style', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const MARK = '\u0000';

/**
 * Walks the HTML with every value replaced by a marker (section tags dropped, both branches
 * kept) and refuses a value anywhere escaping does not make it inert.
 */
function checkHtmlContexts(nodes: readonly Node[], fail: (line: number, message: string) => never): void {
  const byId = new Map<number, Extract<Node, { kind: 'value' }>>();
  const flatten = (list: readonly Node[]): string =>
    list
      .map((node) => {
        if (node.kind === 'text') return node.text.replaceAll(MARK, '');
        if (node.kind === 'value') {
          byId.set(node.id, node);
          return `${MARK}${node.id}${MARK}`;
        }
        return flatten(node.children);
      })
      .join('');
  const html = flatten(nodes);
  const refuse = (id: number, where: string): never => {
    const value = byId.get(id)!;
    return fail(value.line, `{{${value.name}}} ${where}: escaping cannot make it safe there`);
  };
  const markAt = (at: number): number | undefined => {
    if (html[at] !== MARK) return undefined;
    return Number(/^\u0000(\d+)\u0000/.exec(html.slice(at))![1]);
  };

  let i = 0;
  while (i < html.length) {
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    if (html[i] !== '<' || !/[A-Za-z/!?\u0000]/.test(html[i + 1] ?? '')) {
      i += 1;
      continue;
    }
    // A tag: its name, then attributes until '>'.
    i += 1;
    const closing = html[i] === '/';
    if (closing) i += 1;
    const nameStart = i;
    while (i < html.length && !/[\s/>]/.test(html[i]!)) {
      const id = markAt(i);
      if (id !== undefined) refuse(id, 'stands in a tag name');
      i += 1;
    }
    const tagName = html.slice(nameStart, i).toLowerCase();
    for (;;) {
      while (i < html.length && /[\s/]/.test(html[i]!)) i += 1;
      if (i >= html.length || html[i] === '>') break;
      const attrStart = i;
      while (i < html.length && !/[\s/>=]/.test(html[i]!)) {
        const id = markAt(i);
        if (id !== undefined) refuse(id, `stands in the <${tagName}> tag outside a quoted attribute value`);
        i += 1;
      }
      const attrName = html.slice(attrStart, i).toLowerCase();
      while (i < html.length && /\s/.test(html[i]!)) i += 1;
      if (html[i] !== '=') continue;
      i += 1;
      while (i < html.length && /\s/.test(html[i]!)) i += 1;
      const quote = html[i];
      if (quote !== '"' && quote !== "'") {
        while (i < html.length && !/[\s>]/.test(html[i]!)) {
          const id = markAt(i);
          if (id !== undefined) refuse(id, `stands in the unquoted value of ${attrName}=`);
          i += 1;
        }
        continue;
      }
      const valueStart = ++i;
      const valueEnd = html.indexOf(quote, valueStart);
      const value = html.slice(valueStart, valueEnd === -1 ? html.length : valueEnd);
      checkAttributeValue(tagName, attrName, value, (id) => byId.get(id)!.name, refuse);
      i = valueEnd === -1 ? html.length : valueEnd + 1;
    }
    i += 1;
    if (!closing && RAW_TEXT_ELEMENTS.has(tagName)) {
      const end = html.toLowerCase().indexOf(`</${tagName}`, i);
      const content = html.slice(i, end === -1 ? html.length : end);
      const marked = /\u0000(\d+)\u0000/.exec(content);
      if (marked) refuse(Number(marked[1]), `stands inside <${tagName}>`);
      i = end === -1 ? html.length : end;
    }
  }
}

function checkAttributeValue(
  tagName: string,
  attrName: string,
  value: string,
  nameOf: (id: number) => TemplateValueName,
  refuse: (id: number, where: string) => never,
): void {
  const marked = /\u0000(\d+)\u0000/.exec(value);
  if (!marked) return;
  const id = Number(marked[1]);
  if (attrName.startsWith('on')) refuse(id, `stands in the event handler ${attrName}= of <${tagName}>`);
  if (attrName === 'style' || attrName === 'srcdoc') refuse(id, `stands in the ${attrName}= attribute of <${tagName}>`);
  if (!URL_ATTRIBUTES.has(attrName)) return;
  // The link is an https URL the service built, so it may start a URL; any other value only
  // after a fixed scheme and host, where it cannot change where the URL goes.
  const before = value.slice(0, marked.index);
  if (before === '' && nameOf(id) === 'link') return;
  if (!SAFE_URL_START.test(before)) {
    refuse(id, `would start the URL in ${attrName}= of <${tagName}>: only {{link}} may, other values only after "https://host/" or "mailto:"`);
  }
}
