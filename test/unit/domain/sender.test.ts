import { parseSender, senderMailbox, SenderError } from '../../../src/domain/sender.js';
import { loadConfig, ConfigError } from '../../../src/config.js';

/** Decodes RFC 2047 B encoded-words the way a mail client does (adjacent words join). */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_, text: string) => `\u0000${text}\u0000`)
    .split('\u0000')
    .map((part, index) => (index % 2 === 1 ? Buffer.from(part, 'base64').toString('utf8') : part))
    .join('');
}

describe('parseSender', () => {
  test.each([
    ['no-reply@example.org', { address: 'no-reply@example.org' }],
    ['  Acme <hello@Mail.Example.org> ', { address: 'hello@mail.example.org', displayName: 'Acme' }],
    ['"Acme, Inc." <a@b.example>', { address: 'a@b.example', displayName: 'Acme, Inc.' }],
    ['"Say \\"hi\\"" <a@b.example>', { address: 'a@b.example', displayName: 'Say "hi"' }],
    ['<a@b.example>', { address: 'a@b.example' }],
    ['Zoë Müller <a@bücher.example>', { address: 'a@xn--bcher-kva.example', displayName: 'Zoë Müller' }],
  ])('%s', (raw, expected) => {
    expect(parseSender(raw)).toEqual(expected);
  });

  test.each([
    ['not an address', /malformed|missing/],
    ['a@b.example, c@d.example', /MAIL_FROM/],
    ['Name <a@b.example', /unbalanced/],
    ['Name <a@b.example>\r\nBcc: x@y.example', /control characters/],
    ['Zoë <zoë@example.org>', /before @ must be ASCII/],
    ['', /MAIL_FROM/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseSender(raw)).toThrow(SenderError);
    expect(() => parseSender(raw)).toThrow(message);
  });

  test('a bad MAIL_FROM fails configuration loading, naming the setting', () => {
    expect(() => loadConfig({ MAIL_FROM: 'Zoë <zoë@example.org>' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAIL_FROM: 'nobody' })).toThrow(/MAIL_FROM/);
    expect(loadConfig({ MAIL_FROM: 'Zoë <z@example.org>' }).sender).toEqual({ address: 'z@example.org', displayName: 'Zoë' });
  });
});

describe('senderMailbox (SES Source)', () => {
  test('an address alone, a plain name, a name with specials quoted', () => {
    expect(senderMailbox({ address: 'a@b.example' })).toBe('a@b.example');
    expect(senderMailbox({ address: 'a@b.example', displayName: 'Acme Sign-up' })).toBe('Acme Sign-up <a@b.example>');
    expect(senderMailbox({ address: 'a@b.example', displayName: 'Acme, Inc.' })).toBe('"Acme, Inc." <a@b.example>');
    expect(senderMailbox({ address: 'a@b.example', displayName: 'Say "hi" \\o/' })).toBe('"Say \\"hi\\" \\\\o/" <a@b.example>');
  });

  test('a non-ASCII name becomes RFC 2047 encoded-words that decode back to it', () => {
    const mailbox = senderMailbox({ address: 'a@b.example', displayName: 'Zoë Müller' });
    expect(mailbox).toBe(`=?UTF-8?B?${Buffer.from('Zoë Müller').toString('base64')}?= <a@b.example>`);
    expect(mailbox).toMatch(/^[\x20-\x7e]+$/);
    expect(decodeWords(mailbox)).toBe('Zoë Müller <a@b.example>');
  });

  test('a long non-ASCII name is split into words of at most 75 characters, never inside a character', () => {
    const name = '邮箱验证服务'.repeat(10) + ' 🚀 done';
    const mailbox = senderMailbox({ address: 'a@b.example', displayName: name });
    const words = mailbox.replace(/ <a@b\.example>$/, '').split(' ');
    expect(words.length).toBeGreaterThan(3);
    for (const word of words) {
      expect(word.length).toBeLessThanOrEqual(75);
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      // Each word decodes on its own to whole characters (no U+FFFD from a split sequence).
      expect(Buffer.from(word.slice(10, -2), 'base64').toString('utf8')).not.toContain('\ufffd');
    }
    expect(decodeWords(mailbox)).toBe(`${name} <a@b.example>`);
  });

  test('parse then format round-trips every accepted form', () => {
    for (const raw of ['a@b.example', 'Acme <a@b.example>', '"Acme, Inc." <a@b.example>', 'Zoë <a@b.example>']) {
      const sender = parseSender(raw);
      expect(parseSender(decodeWords(senderMailbox(sender)))).toEqual(sender);
    }
  });
});
