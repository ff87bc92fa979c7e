export type Lang = 'en' | 'zh';

/** `zh`, `zh-CN`, `zh-Hans;q=0.9` ... pick Chinese; anything else is English. */
export function langFromAcceptLanguage(header: string | undefined): Lang {
  if (!header) return 'en';
  const first = header.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('zh') ? 'zh' : 'en';
}

export function parseLang(value: string | undefined): Lang | undefined {
  if (value === undefined || value === '') return 'en';
  const lower = value.toLowerCase();
  return lower === 'zh' || lower === 'en' ? lower : undefined;
}
