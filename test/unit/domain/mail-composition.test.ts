import { BUILT_IN_TEMPLATES, MailComposer, describeLifetime } from '../../../src/domain/mail-composition.js';
import { MailTemplateError } from '../../../src/domain/mail-template.js';
import { escapeHtml } from '../../../src/html/escape-html.js';

const LINK = 'https://api.example.com/verify?token=a.b.c&lang=en';
const composer = new MailComposer({ productName: 'Acme Shop', otpTtlSeconds: 600 });

describe('the built-in verification mail', () => {
  test('English: product in the subject and body, the address, the code, the link escaped in HTML and plain in text', () => {
    const mail = composer.compose({ to: 'jane@example.com', code: '012345', lang: 'en', link: LINK });
    expect(mail.to).toBe('jane@example.com');
    expect(mail.subject).toBe('Your Acme Shop verification code');
    expect(mail.text).toContain('Enter this code in Acme Shop to confirm that jane@example.com is your email address:');
    expect(mail.text).toContain('\n    012345\n');
    expect(mail.text).toContain(`\n${LINK}\n`);
    expect(mail.text).toContain('The code and the link are valid for 10 minutes.');
    expect(mail.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(mail.html).toContain('<strong>jane@example.com</strong>');
    expect(mail.html).toContain('>012345</p>');
    expect(mail.html).toContain('href="https://api.example.com/verify?token=a.b.c&#38;lang=en"');
    expect(mail.html).not.toContain('&lang=');
    expect(mail.html).toContain('>Verify my email address</a>');
    expect(mail.html).toContain('The code and the button are valid for 10 minutes.');
    expect(mail.html).toContain('>Acme Shop</p>');
  });

  test('phone-ready HTML: viewport meta, no tables, inline styles only, a large code and a button at least 44 px tall', () => {
    const { html } = composer.compose({ to: 'jane@example.com', code: '012345', lang: 'en', link: LINK });
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<table|<style|<script|class=/i);
    expect(html).toMatch(/font-size:32px[^"]*">012345</);
    // padding 14 + line-height 20 + padding 14 = 48 px of button.
    expect(html).toMatch(/<a href="[^"]+" style="display:inline-block;padding:14px 24px;font-size:16px;line-height:20px;/);
    expect(html).toMatch(/<div style="[^"]*font-size:16px/);
  });

  test('Chinese: subject, wording and html lang', () => {
    const mail = composer.compose({ to: 'li@example.com', code: '987654', lang: 'zh', link: LINK });
    expect(mail.subject).toBe('您的 Acme Shop 邮箱验证码');
    expect(mail.text).toContain('请在 Acme Shop 中输入以下验证码，确认 li@example.com 是您的邮箱地址：');
    expect(mail.text).toContain('\n    987654\n');
    expect(mail.text).toContain('验证码和链接在 10 分钟内有效。');
    expect(mail.html).toContain('<html lang="zh-CN">');
    expect(mail.html).toContain('>987654</p>');
    expect(mail.html).toContain('>验证我的邮箱地址</a>');
  });

  test('without a link there is no link, button or link wording in either part', () => {
    const mail = composer.compose({ to: 'jane@example.com', code: '000001', lang: 'en' });
    expect(mail.html).not.toContain('<a ');
    expect(mail.text).not.toContain('http');
    expect(mail.text).not.toContain('one click');
    expect(mail.text).toContain('The code is valid for 10 minutes.');
    expect(mail.text).toContain('000001');
  });

  test('the earlier code is mentioned only when the sender says it still works', () => {
    const kept = composer.compose({ to: 'a@b.cd', code: '111111', lang: 'en', previousCodeStillWorks: true });
    const retired = composer.compose({ to: 'a@b.cd', code: '111111', lang: 'en', previousCodeStillWorks: false });
    expect(kept.text).toContain('The code from our previous email also still works until it expires.');
    expect(kept.html).toContain('The code is valid for 10 minutes. The code from our previous email also still works until it expires.');
    expect(retired.text).not.toContain('previous');
    expect(retired.html).not.toContain('previous');
    const zh = composer.compose({ to: 'a@b.cd', code: '111111', lang: 'zh', previousCodeStillWorks: true });
    expect(zh.text).toContain('上一封邮件中的验证码在过期前仍然可用。');
  });

  test.each([
    [60, 'The code is valid for 1 minute.', '验证码在 1 分钟内有效。'],
    [90, 'The code is valid for 1 minute and 30 seconds.', '验证码在 1 分钟 30 秒内有效。'],
    [3600, 'The code is valid for 1 hour.', '验证码在 1 小时内有效。'],
    [3661, 'The code is valid for 1 hour, 1 minute and 1 second.', '验证码在 1 小时 1 分钟 1 秒内有效。'],
    [7320, 'The code is valid for 2 hours and 2 minutes.', '验证码在 2 小时 2 分钟内有效。'],
  ])('OTP_TTL_SECONDS=%i is worded exactly and grammatically', (ttl, en, zh) => {
    const own = new MailComposer({ productName: 'Acme', otpTtlSeconds: ttl });
    expect(own.compose({ to: 'a@b.cd', code: '123456', lang: 'en' }).text).toContain(en);
    expect(own.compose({ to: 'a@b.cd', code: '123456', lang: 'zh' }).text).toContain(zh);
  });

  test('describeLifetime', () => {
    expect(describeLifetime(600, 'en')).toBe('10 minutes');
    expect(describeLifetime(61, 'en')).toBe('1 minute and 1 second');
    expect(describeLifetime(86_400, 'en')).toBe('24 hours');
    expect(describeLifetime(86_400, 'zh')).toBe('24 小时');
  });

  test('hostile values cannot break out of the HTML', () => {
    const hostile = new MailComposer({ productName: `<img src=x onerror=alert(1)>"'&`, otpTtlSeconds: 600 });
    const hostileLink = `https://evil.example/"><script>alert('x')</script><a href="`;
    const mail = hostile.compose({ to: "o'brien+<b>@example.com", code: '<i>', lang: 'en', link: hostileLink });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>');
    expect(mail.html).not.toContain('<i>');
    expect(mail.html).not.toMatch(/href="https:\/\/evil\.example\/"/);
    expect(mail.html).toContain(escapeHtml(hostileLink));
    expect(mail.html).toContain('&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;');
    // Exactly the anchors the template writes: the button and the fallback link.
    expect(mail.html.match(/<a /g)).toHaveLength(2);
    // The plain parts are plain: nothing is escaped there.
    expect(mail.subject).toBe(`Your <img src=x onerror=alert(1)>"'& verification code`);
  });

  test('escapeHtml escapes the five HTML-significant characters and nothing else', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
    expect(escapeHtml('plain text 123 验证')).toBe('plain text 123 验证');
  });
});

describe('operator templates', () => {
  const own = (template: string, part: 'subject' | 'text' | 'html' = 'html') => ({
    en: { [part]: { template, source: `en/${part}` } },
  });

  test('replace the built-in template of their language and part only', () => {
    const custom = new MailComposer({
      productName: 'Acme',
      otpTtlSeconds: 600,
      templates: {
        en: { subject: { template: '[{{product}}] code for {{email}}\n', source: 'en/subject.txt' } },
        zh: { text: { template: '{{product}} 验证码：{{code}}（{{minutes}} 分钟）\n', source: 'zh/body.txt' } },
      },
    });
    const en = custom.compose({ to: 'a@b.cd', code: '123456', lang: 'en' });
    expect(en.subject).toBe('[Acme] code for a@b.cd');
    expect(en.text).toBe(composer.compose({ to: 'a@b.cd', code: '123456', lang: 'en' }).text.replaceAll('Acme Shop', 'Acme'));
    const zh = custom.compose({ to: 'a@b.cd', code: '123456', lang: 'zh' });
    expect(zh.text).toBe('Acme 验证码：123456（10 分钟）\n');
    expect(zh.subject).toBe('您的 Acme 邮箱验证码');
  });

  test('sections: a section tag alone on its line takes the line with it', () => {
    const template = 'Code: {{code}}\n{{#link}}\nLink: {{link}}\n{{/link}}\n{{^link}}\nNo link.\n{{/link}}\nBye\n';
    const custom = new MailComposer({ productName: 'A', otpTtlSeconds: 600, templates: own(template, 'text') });
    expect(custom.compose({ to: 'a@b.cd', code: '123456', lang: 'en', link: 'https://x.example/l' }).text).toBe(
      'Code: 123456\nLink: https://x.example/l\nBye\n',
    );
    expect(custom.compose({ to: 'a@b.cd', code: '123456', lang: 'en' }).text).toBe('Code: 123456\nNo link.\nBye\n');
  });

  test('in HTML every value is escaped, wherever the template puts it', () => {
    const template = '<p title="{{email}}">{{product}} {{code}}</p><a href="mailto:{{email}}">x</a><a href="https://x.example/?e={{email}}">y</a>';
    const custom = new MailComposer({ productName: '<Acme & Co>', otpTtlSeconds: 600, templates: own(template) });
    const { html } = custom.compose({ to: `a"b'<c>@d.ef`, code: '123456', lang: 'en' });
    expect(html).toBe(
      '<p title="a&#34;b&#39;&#60;c&#62;@d.ef">&#60;Acme &#38; Co&#62; 123456</p>' +
        '<a href="mailto:a&#34;b&#39;&#60;c&#62;@d.ef">x</a><a href="https://x.example/?e=a&#34;b&#39;&#60;c&#62;@d.ef">y</a>',
    );
  });

  test.each([
    ['{{{code}}}', /would skip HTML escaping/],
    ['{{&code}}', /would skip HTML escaping/],
    ['{{ code }} {{codes}}', /line 1: unknown placeholder \{\{codes\}\}/],
    ['{{code}}\n{{#links}}x{{/links}}', /line 2: unknown section/],
    ['{{code}} {{link}}', /\{\{link\}\} must stand inside \{\{#link\}\}/],
    ['{{code}} {{^link}}{{link}}{{/link}}', /\{\{link\}\} must stand inside/],
    ['{{code}} {{#link}}x', /\{\{#link\}\} is never closed/],
    ['{{code}} {{/link}}', /closes a section that was never opened/],
    ['{{code}} {{#link}}{{#previousCodeStillWorks}}{{/link}}{{/previousCodeStillWorks}}', /\{\{\/link\}\} closes \{\{#previousCodeStillWorks\}\}/],
    ['{{#link}}{{code}}{{/link}}', /must show \{\{code\}\} outside any section/],
    ['{{code}} {{ product', /that is not a placeholder/],
    ['<p {{email}}>{{code}}</p>', /\{\{email\}\} stands in the <p> tag outside a quoted attribute value/],
    ['<p title={{email}}>{{code}}</p>', /unquoted value of title=/],
    ['<{{product}}>{{code}}', /stands in a tag name/],
    ['<script>var e = "{{email}}";</script>{{code}}', /stands inside <script>/],
    ['<style>p { content: "{{product}}" }</style>{{code}}', /stands inside <style>/],
    ['<p onclick="x(\'{{email}}\')">{{code}}</p>', /event handler onclick=/],
    ['<p style="color:{{product}}">{{code}}</p>', /style= attribute/],
    ['<a href="{{email}}">{{code}}</a>', /would start the URL in href=/],
    ['<a href="https://{{product}}/x">{{code}}</a>', /would start the URL in href=/],
    ['<img src="{{product}}">{{code}}', /would start the URL in src=/],
  ])('refuses %j in HTML with where and why', (template, message) => {
    const attempt = () => new MailComposer({ productName: 'A', otpTtlSeconds: 600, templates: own(template) });
    expect(attempt).toThrow(MailTemplateError);
    expect(attempt).toThrow(/^en\/html, line \d+: /);
    expect(attempt).toThrow(message);
  });

  test('refuses a subject of more than one line, and {{minutes}} when the lifetime is not whole minutes', () => {
    expect(() => new MailComposer({ productName: 'A', otpTtlSeconds: 600, templates: own('a\nb', 'subject') })).toThrow(/a subject is one line/);
    const minutes = own('{{code}} valid {{minutes}} min', 'text');
    expect(new MailComposer({ productName: 'A', otpTtlSeconds: 120, templates: minutes }).compose({ to: 'a@b.cd', code: '123456', lang: 'en' }).text).toBe(
      '123456 valid 2 min',
    );
    expect(() => new MailComposer({ productName: 'A', otpTtlSeconds: 90, templates: minutes })).toThrow(
      /en\/text: \{\{minutes\}\} needs a code lifetime of whole minutes, but OTP_TTL_SECONDS is 90; use \{\{lifetime\}\}/,
    );
  });

  test('the built-in templates pass the same checks operators meet', () => {
    for (const lang of ['en', 'zh'] as const) {
      const templates = { [lang]: Object.fromEntries(Object.entries(BUILT_IN_TEMPLATES[lang]).map(([part, template]) => [part, { template, source: part }])) };
      expect(() => new MailComposer({ productName: 'A', otpTtlSeconds: 90, templates })).not.toThrow();
    }
  });
});
