import { composeVerificationMail } from '../../../src/domain/mail-composition.js';
import { escapeHtml } from '../../../src/html/escape-html.js';

const LINK = 'https://api.example.com/verify?token=a.b.c&lang=en';

describe('composeVerificationMail', () => {
  test('English: subject, code in text and HTML, validity, link escaped in HTML and plain in text', () => {
    const mail = composeVerificationMail({ to: 'jane@example.com', code: '012345', lang: 'en', validForMinutes: 10, link: LINK });
    expect(mail.to).toBe('jane@example.com');
    expect(mail.subject).toBe('Your email verification code');
    expect(mail.text).toContain('    012345\n');
    expect(mail.text).toContain('valid for 10 minutes');
    expect(mail.text).toContain(`\n${LINK}\n`);
    expect(mail.html).toMatch(/^<!DOCTYPE html><html lang="en">/);
    expect(mail.html).toContain('>012345</p>');
    expect(mail.html).toContain('href="https://api.example.com/verify?token=a.b.c&#38;lang=en"');
    expect(mail.html).not.toContain('&lang=');
    expect(mail.html).toContain('Verify my email address');
    expect(mail.html).toContain('valid for 10 minutes');
  });

  test('Chinese: subject, wording and html lang', () => {
    const mail = composeVerificationMail({ to: 'li@example.com', code: '987654', lang: 'zh', validForMinutes: 10, link: LINK });
    expect(mail.subject).toBe('您的邮箱验证码');
    expect(mail.text).toContain('请使用以下验证码验证您的邮箱地址');
    expect(mail.text).toContain('987654');
    expect(mail.text).toContain('验证码 10 分钟内有效');
    expect(mail.html).toContain('<html lang="zh-CN">');
    expect(mail.html).toContain('>987654</p>');
    expect(mail.html).toContain('验证我的邮箱地址');
    expect(mail.text).not.toContain('Your email verification code');
  });

  test('without a link there is no link in either part', () => {
    const mail = composeVerificationMail({ to: 'jane@example.com', code: '000001', lang: 'en', validForMinutes: 10 });
    expect(mail.html).not.toContain('<a ');
    expect(mail.text).not.toContain('http');
    expect(mail.text).not.toContain('one click');
    expect(mail.text).toContain('000001');
  });

  test('tells the user an earlier code keeps working', () => {
    expect(composeVerificationMail({ to: 'a@b.cd', code: '111111', lang: 'en', validForMinutes: 10 }).text).toContain(
      'An earlier code keeps working until it expires.',
    );
    expect(composeVerificationMail({ to: 'a@b.cd', code: '111111', lang: 'zh', validForMinutes: 10 }).text).toContain('之前收到的验证码在过期前仍然可用');
  });

  test('hostile input cannot break out of the HTML', () => {
    const hostileLink = `https://evil.example/"><script>alert('x')</script><a href="`;
    const mail = composeVerificationMail({ to: 'a@b.cd', code: '<img src=x onerror=alert(1)>', lang: 'en', validForMinutes: 10, link: hostileLink });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toMatch(/href="https:\/\/evil\.example\/"/);
    expect(mail.html).toContain('&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;');
    expect(mail.html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    // Exactly one anchor: the one the template writes.
    expect(mail.html.match(/<a /g)).toHaveLength(1);
  });

  test('escapeHtml escapes the five HTML-significant characters and nothing else', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
    expect(escapeHtml('plain text 123 验证')).toBe('plain text 123 验证');
  });
});
