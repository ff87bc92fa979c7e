export type Lang = 'en' | 'zh';

/** The language the client prefers, by Accept-Language; English when it names neither. */
export function langFromAcceptLanguage(header: string | undefined): Lang {
  return preferredLang(header) ?? 'en';
}

/**
 * The language the client prefers of the two the service speaks, by Accept-Language's quality
 * values (`en-US,en;q=0.9,zh;q=0.8` is English, `fr,zh-CN;q=0.8` Chinese); the first listed wins
 * a tie. Undefined when the header accepts neither.
 */
export function preferredLang(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  let best: { lang: Lang; q: number } | undefined;
  for (const item of header.split(',')) {
    const [range = '', ...params] = item.split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    if (primary !== 'en' && primary !== 'zh') continue;
    const qParam = params.map((param) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param)).find((match) => match !== null);
    const q = qParam ? Number(qParam[1]) : 1;
    if (!(q > 0)) continue;
    if (best === undefined || q > best.q) best = { lang: primary, q };
  }
  return best?.lang;
}

export function parseLang(value: string | undefined): Lang | undefined {
  if (value === undefined || value === '') return 'en';
  const lower = value.toLowerCase();
  return lower === 'zh' || lower === 'en' ? lower : undefined;
}
