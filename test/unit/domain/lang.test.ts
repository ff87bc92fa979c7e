import { langFromAcceptLanguage, parseLang, preferredLang } from '../../../src/domain/lang.js';

describe('Accept-Language', () => {
  test.each([
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['en;q=0.5, zh;q=0.9', 'zh'],
    ['fr-FR,fr;q=0.9,zh-TW;q=0.8', 'zh'],
    ['ZH-hans', 'zh'],
    ['zh;q=0, en;q=0.1', 'en'],
    ['en, zh', 'en'],
    ['zh, en', 'zh'],
  ])('%s prefers %s', (header, lang) => {
    expect(preferredLang(header)).toBe(lang);
    expect(langFromAcceptLanguage(header)).toBe(lang);
  });

  test.each([undefined, '', 'fr-FR,de;q=0.5', '*', 'zh;q=0', 'english'])('%j names neither: undefined, English by default', (header) => {
    expect(preferredLang(header)).toBeUndefined();
    expect(langFromAcceptLanguage(header)).toBe('en');
  });

  test('parseLang: the RPC Lang parameter', () => {
    expect(parseLang(undefined)).toBe('en');
    expect(parseLang('ZH')).toBe('zh');
    expect(parseLang('fr')).toBeUndefined();
  });
});
