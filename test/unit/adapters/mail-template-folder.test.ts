import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMailComposer, readMailTemplateFolder } from '../../../src/adapters/mail-template-folder.js';
import { ConfigError } from '../../../src/settings.js';

const folders: string[] = [];
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A template folder holding `files` (relative path -> content). */
function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mail-templates-'));
  folders.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const settings = (mailTemplatesDir?: string) => ({ productName: 'Acme', otpTtlSeconds: 600, ...(mailTemplatesDir ? { mailTemplatesDir } : {}) });

describe('MAIL_TEMPLATES_DIR', () => {
  test('files present replace their built-in templates; the rest stay built in', () => {
    const dir = folder({
      'en/subject.txt': '{{product}}: your code\n',
      'en/body.html': '<!DOCTYPE html><p>Hi {{email}}, your {{product}} code is <b>{{code}}</b>.</p>\n',
      'zh/body.txt': '\uFEFF{{product}} 验证码 {{code}}\n',
      '.DS_Store': 'ignored',
    });
    const composer = loadMailComposer(settings(dir));
    const en = composer.compose({ to: 'a&b@example.com', code: '123456', lang: 'en' });
    expect(en.subject).toBe('Acme: your code');
    expect(en.html).toBe('<!DOCTYPE html><p>Hi a&#38;b@example.com, your Acme code is <b>123456</b>.</p>\n');
    expect(en.text).toContain('Enter this code in Acme');
    const zh = composer.compose({ to: 'a@example.com', code: '123456', lang: 'zh' });
    expect(zh.text).toBe('Acme 验证码 123456\n');
    expect(zh.subject).toBe('您的 Acme 邮箱验证码');
  });

  test('unset: the built-in templates', () => {
    expect(loadMailComposer(settings()).compose({ to: 'a@b.cd', code: '123456', lang: 'en' }).subject).toBe('Your Acme verification code');
  });

  test.each([
    ['a language it does not speak', { 'en/subject.txt': 'x {{code}}', 'fr/subject.txt': 'x' }, /unexpected "fr"; the folder holds en\/, zh\/ with subject\.txt, body\.txt, body\.html/],
    ['a misspelt file', { 'en/subjct.txt': 'x' }, /unexpected "en\/subjct\.txt"; a language folder holds subject\.txt, body\.txt, body\.html/],
    ['a file outside a language folder', { 'en.html': '{{code}}' }, /unexpected "en\.html"/],
    ['a file that is not UTF-8', { 'zh/body.txt': Buffer.from([0xff, 0xfe, 0x41]) }, /zh\/body\.txt is not UTF-8 text/],
    ['an unsafe HTML template', { 'en/body.html': '<p title={{email}}>{{code}}</p>' }, /MAIL_TEMPLATES_DIR \(.+\) en\/body\.html, line 1: \{\{email\}\} stands in the unquoted value of title=/],
    ['an unclosed section', { 'zh/body.txt': '验证码\n{{#link}}{{link}}\n' }, /zh\/body\.txt, line 2: \{\{#link\}\} is never closed/],
    ['a huge file', { 'en/body.txt': 'x'.repeat(70 * 1024) }, /en\/body\.txt is over 64 KB/],
  ])('refuses %s with a message naming the file', (_label, files, message) => {
    const dir = folder(files as Record<string, string | Buffer>);
    expect(() => loadMailComposer(settings(dir))).toThrow(ConfigError);
    expect(() => loadMailComposer(settings(dir))).toThrow(message);
  });

  test('a missing or empty folder is refused', () => {
    expect(() => readMailTemplateFolder('/nonexistent/mail-templates')).toThrow(/MAIL_TEMPLATES_DIR \(\/nonexistent\/mail-templates\) cannot be read/);
    expect(() => readMailTemplateFolder(folder({ 'en/.keep': '' }))).toThrow(/has no templates/);
  });
});
