import type { Lang } from './lang.js';
import { compileTemplate, MailTemplateError, type CompiledTemplate, type TemplatePart, type TemplateValues } from './mail-template.js';
import type { OutgoingMail } from './ports.js';

export { MailTemplateError } from './mail-template.js';

export const MAIL_LANGS: readonly Lang[] = ['en', 'zh'];
export const TEMPLATE_PARTS: readonly TemplatePart[] = ['subject', 'text', 'html'];

export interface VerificationMailContent {
  readonly to: string;
  readonly code: string;
  readonly lang: Lang;
  /** A link that verifies the address in one click, when the caller's API offers one. */
  readonly link?: string;
  /** The code mailed before this one stays valid (until its own expiry). */
  readonly previousCodeStillWorks?: boolean;
}

/** An operator's template, and where it came from (for error messages). */
export interface TemplateSource {
  readonly template: string;
  readonly source: string;
}

/** Operator templates by language and part; each replaces the built-in one it names. */
export type MailTemplateOverrides = Partial<Record<Lang, Partial<Record<TemplatePart, TemplateSource>>>>;

export interface MailComposerOptions {
  readonly productName: string;
  readonly otpTtlSeconds: number;
  readonly templates?: MailTemplateOverrides;
}

/**
 * The verification mail in both languages, from the built-in templates or the operator's,
 * compiled once when the composer is made (at cold start); a mail is then a few string joins.
 */
export class MailComposer {
  private readonly compiled: Record<Lang, Record<TemplatePart, CompiledTemplate>>;
  private readonly lifetimes: Record<Lang, string>;
  private readonly minutes: string | undefined;

  /** Throws MailTemplateError for a template that cannot be used, naming its file and line. */
  constructor(private readonly options: MailComposerOptions) {
    const ttl = options.otpTtlSeconds;
    this.minutes = ttl % 60 === 0 ? String(ttl / 60) : undefined;
    this.lifetimes = { en: describeLifetime(ttl, 'en'), zh: describeLifetime(ttl, 'zh') };
    const compileFor = (lang: Lang) => {
      const parts = {} as Record<TemplatePart, CompiledTemplate>;
      for (const part of TEMPLATE_PARTS) {
        const own = options.templates?.[lang]?.[part];
        const source = own ?? { template: BUILT_IN_TEMPLATES[lang][part], source: `built-in ${lang} ${part}` };
        const compiled = compileTemplate(source.template, part, source.source);
        if (compiled.uses.has('minutes') && this.minutes === undefined) {
          throw new MailTemplateError(
            `${source.source}: {{minutes}} needs a code lifetime of whole minutes, but OTP_TTL_SECONDS is ${ttl}; ` +
              'use {{lifetime}}, which words any lifetime exactly',
          );
        }
        parts[part] = compiled;
      }
      return parts;
    };
    this.compiled = { en: compileFor('en'), zh: compileFor('zh') };
  }

  compose(content: VerificationMailContent): OutgoingMail {
    const values: TemplateValues = {
      product: this.options.productName,
      email: content.to,
      code: content.code,
      lifetime: this.lifetimes[content.lang],
      ...(this.minutes !== undefined ? { minutes: this.minutes } : {}),
      ...(content.link ? { link: content.link } : {}),
      previousCodeStillWorks: content.previousCodeStillWorks === true,
    };
    const templates = this.compiled[content.lang];
    return {
      to: content.to,
      subject: templates.subject.render(values),
      text: templates.text.render(values),
      html: templates.html.render(values),
    };
  }
}

/**
 * A lifetime in words, exact to the second: "10 minutes", "1 minute and 30 seconds",
 * "1 hour, 1 minute and 1 second"; "10 分钟", "1 分钟 30 秒".
 */
export function describeLifetime(seconds: number, lang: Lang): string {
  const units: Array<[number, string, string, string]> = [
    [Math.floor(seconds / 3600), 'hour', 'hours', '小时'],
    [Math.floor((seconds % 3600) / 60), 'minute', 'minutes', '分钟'],
    [seconds % 60, 'second', 'seconds', '秒'],
  ];
  const present = units.filter(([count]) => count > 0);
  if (present.length === 0) return lang === 'zh' ? '0 秒' : '0 seconds';
  if (lang === 'zh') return present.map(([count, , , zh]) => `${count} ${zh}`).join(' ');
  const words = present.map(([count, one, many]) => `${count} ${count === 1 ? one : many}`);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// The built-in templates: what operators start from (`npm run --silent mail-templates -- <dir>`
// writes them out). Mail clients drop <style> blocks and tables are not needed for one column,
// so the HTML is plain blocks with inline styles, readable from a 320 px phone up.

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif";
const MONO = "Menlo,Consolas,'Courier New',monospace";
const P = 'margin:0 0 16px;';
const QUIET = 'margin:0 0 16px;font-size:14px;line-height:1.5;color:#57606a;';
const BUTTON =
  'display:inline-block;padding:14px 24px;font-size:16px;line-height:20px;font-weight:600;color:#ffffff;' +
  'background-color:#1f6feb;border-radius:6px;text-decoration:none;';

interface Words {
  readonly htmlLang: string;
  readonly subject: string;
  readonly heading: string;
  readonly codeIntro: string;
  readonly linkIntro: string;
  readonly button: string;
  readonly linkText: string;
  readonly validWithLink: string;
  readonly validWithButton: string;
  readonly validWithoutLink: string;
  readonly previousCode: string;
  readonly ignore: string;
  readonly fallback: string;
}

const WORDS: Record<Lang, Words> = {
  en: {
    htmlLang: 'en',
    subject: 'Your {{product}} verification code',
    heading: 'Verify your email address',
    codeIntro: 'Enter this code in {{product}} to confirm that {{email}} is your email address:',
    linkIntro: 'Or confirm it with one click:',
    button: 'Verify my email address',
    linkText: 'Or confirm it with one click by opening this link:',
    validWithLink: 'The code and the link are valid for {{lifetime}}.',
    validWithButton: 'The code and the button are valid for {{lifetime}}.',
    validWithoutLink: 'The code is valid for {{lifetime}}.',
    previousCode: 'The code from our previous email also still works until it expires.',
    ignore: 'If you did not ask to verify this address with {{product}}, you can ignore this email.',
    fallback: 'If the button does not work, open this link:',
  },
  zh: {
    htmlLang: 'zh-CN',
    subject: '您的 {{product}} 邮箱验证码',
    heading: '验证您的邮箱地址',
    codeIntro: '请在 {{product}} 中输入以下验证码，确认 {{email}} 是您的邮箱地址：',
    linkIntro: '或点击下方按钮一键完成验证：',
    button: '验证我的邮箱地址',
    linkText: '或打开以下链接一键完成验证：',
    validWithLink: '验证码和链接在 {{lifetime}}内有效。',
    validWithButton: '验证码和按钮在 {{lifetime}}内有效。',
    validWithoutLink: '验证码在 {{lifetime}}内有效。',
    previousCode: '上一封邮件中的验证码在过期前仍然可用。',
    ignore: '如果您没有在 {{product}} 申请验证该邮箱地址，请忽略本邮件。',
    fallback: '如果按钮无法使用，请打开此链接：',
  },
};

function builtInText(w: Words): string {
  return [
    '{{product}}',
    '',
    w.codeIntro,
    '',
    '    {{code}}',
    '',
    '{{#link}}',
    w.linkText,
    '{{link}}',
    '',
    w.validWithLink,
    '{{/link}}',
    '{{^link}}',
    w.validWithoutLink,
    '{{/link}}',
    '{{#previousCodeStillWorks}}',
    w.previousCode,
    '{{/previousCodeStillWorks}}',
    '',
    w.ignore,
    '',
  ].join('\n');
}

function builtInHtml(w: Words): string {
  const strongEmail = w.codeIntro.replace('{{email}}', '<strong>{{email}}</strong>');
  const spacer = w.htmlLang === 'en' ? ' ' : '';
  return [
    '<!DOCTYPE html>',
    `<html lang="${w.htmlLang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="x-apple-disable-message-reformatting">',
    `<title>${w.subject}</title>`,
    '</head>',
    '<body style="margin:0;padding:0;background-color:#ffffff;">',
    `<div style="max-width:480px;margin:0 auto;padding:24px 16px;font-family:${FONT};font-size:16px;line-height:1.5;color:#1f2328;">`,
    `<p style="margin:0 0 8px;font-size:14px;font-weight:600;color:#57606a;">{{product}}</p>`,
    `<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3;font-weight:600;">${w.heading}</h1>`,
    `<p style="${P}">${strongEmail}</p>`,
    `<p style="${P}font-family:${MONO};font-size:32px;line-height:40px;font-weight:700;letter-spacing:6px;">{{code}}</p>`,
    '{{#link}}',
    `<p style="margin:0 0 12px;">${w.linkIntro}</p>`,
    `<p style="${P}"><a href="{{link}}" style="${BUTTON}">${w.button}</a></p>`,
    '{{/link}}',
    `<p style="${P}">{{#link}}${w.validWithButton}{{/link}}{{^link}}${w.validWithoutLink}{{/link}}` +
      `{{#previousCodeStillWorks}}${spacer}${w.previousCode}{{/previousCodeStillWorks}}</p>`,
    `<p style="${QUIET}">${w.ignore}</p>`,
    '{{#link}}',
    `<p style="${QUIET}word-break:break-all;">${w.fallback} <a href="{{link}}" style="color:#0969da;">{{link}}</a></p>`,
    '{{/link}}',
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export const BUILT_IN_TEMPLATES: Readonly<Record<Lang, Readonly<Record<TemplatePart, string>>>> = {
  en: { subject: WORDS.en.subject, text: builtInText(WORDS.en), html: builtInHtml(WORDS.en) },
  zh: { subject: WORDS.zh.subject, text: builtInText(WORDS.zh), html: builtInHtml(WORDS.zh) },
};
