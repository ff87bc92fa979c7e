/**
 * Operator mail templates from a folder (`MAIL_TEMPLATES_DIR`):
 *
 *   <dir>/en/subject.txt   <dir>/en/body.txt   <dir>/en/body.html
 *   <dir>/zh/subject.txt   <dir>/zh/body.txt   <dir>/zh/body.html
 *
 * Each file present replaces the built-in template of its language and part; a file left out
 * keeps the built-in one. Anything else in the folder is refused, so a misspelt file name fails
 * loudly instead of being ignored. Read synchronously, once per cold start (a few small files).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MAIL_LANGS, MailComposer, type MailTemplateOverrides, type TemplateSource } from '../domain/mail-composition.js';
import type { Lang } from '../domain/lang.js';
import type { TemplatePart } from '../domain/mail-template.js';
import { ConfigError } from '../settings.js';

/** File name of each part. */
export const TEMPLATE_FILES: Readonly<Record<TemplatePart, string>> = {
  subject: 'subject.txt',
  text: 'body.txt',
  html: 'body.html',
};

// Gmail clips a message over about 100 KB; a template near that is a mistake.
const MAX_TEMPLATE_BYTES = 64 * 1024;

/** The templates in `dir`; throws ConfigError naming the file for anything unusable. */
export function readMailTemplateFolder(dir: string): MailTemplateOverrides {
  const where = `MAIL_TEMPLATES_DIR (${dir})`;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(`${where} is not a folder`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${where} cannot be read: ${(error as Error).message}`);
  }
  const fileNames = Object.values(TEMPLATE_FILES);
  const expected = `${MAIL_LANGS.join('/, ')}/ with ${fileNames.join(', ')}`;
  const overrides: MailTemplateOverrides = {};
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    if (!(MAIL_LANGS as readonly string[]).includes(entry) || !statSync(path.join(dir, entry)).isDirectory()) {
      throw new ConfigError(`${where}: unexpected "${entry}"; the folder holds ${expected}`);
    }
    const lang = entry as Lang;
    const parts: Partial<Record<TemplatePart, TemplateSource>> = {};
    for (const file of readdirSync(path.join(dir, lang))) {
      if (file.startsWith('.')) continue;
      const part = (Object.keys(TEMPLATE_FILES) as TemplatePart[]).find((candidate) => TEMPLATE_FILES[candidate] === file);
      if (part === undefined) {
        throw new ConfigError(`${where}: unexpected "${lang}/${file}"; a language folder holds ${fileNames.join(', ')}`);
      }
      parts[part] = { template: readTemplate(path.join(dir, lang, file), `${lang}/${file}`, where), source: `${where} ${lang}/${file}` };
    }
    overrides[lang] = parts;
  }
  if (Object.values(overrides).every((parts) => Object.keys(parts ?? {}).length === 0)) {
    throw new ConfigError(`${where} has no templates; it holds ${expected}`);
  }
  return overrides;
}

function readTemplate(file: string, name: string, where: string): string {
  const bytes = readFileSync(file);
  if (bytes.length > MAX_TEMPLATE_BYTES) throw new ConfigError(`${where}: ${name} is over ${MAX_TEMPLATE_BYTES / 1024} KB`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new ConfigError(`${where}: ${name} is not UTF-8 text`);
  }
}

export interface MailComposerSettings {
  readonly productName: string;
  readonly otpTtlSeconds: number;
  readonly mailTemplatesDir?: string;
}

/**
 * The mail composer for these settings: built-in templates, or the folder's where it has them.
 * Every template is compiled and checked here, so a bad one fails start-up (or synthesis) with
 * its file and line, never a request.
 */
export function loadMailComposer(settings: MailComposerSettings): MailComposer {
  const templates = settings.mailTemplatesDir ? readMailTemplateFolder(settings.mailTemplatesDir) : undefined;
  try {
    return new MailComposer({
      productName: settings.productName,
      otpTtlSeconds: settings.otpTtlSeconds,
      ...(templates ? { templates } : {}),
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
