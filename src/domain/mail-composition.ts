import { escapeHtml } from '../html/escape-html.js';
import type { Lang } from './lang.js';
import type { OutgoingMail } from './ports.js';

export interface VerificationMailContent {
  readonly to: string;
  readonly code: string;
  readonly lang: Lang;
  readonly validForMinutes: number;
  /** A link that verifies the address in one click, when the caller's API offers one. */
  readonly link?: string;
}

interface Wording {
  subject: string;
  greeting: string;
  codeIntro: string;
  linkIntro: string;
  linkLabel: string;
  validity: (minutes: number) => string;
  ignore: string;
}

const WORDING: Record<Lang, Wording> = {
  en: {
    subject: 'Your email verification code',
    greeting: 'Hello,',
    codeIntro: 'Use this code to verify your email address:',
    linkIntro: 'Or verify it with one click:',
    linkLabel: 'Verify my email address',
    validity: (minutes) => `The code is valid for ${minutes} minutes. An earlier code keeps working until it expires.`,
    ignore: 'If you did not ask for this, you can ignore this email.',
  },
  zh: {
    subject: '您的邮箱验证码',
    greeting: '您好：',
    codeIntro: '请使用以下验证码验证您的邮箱地址：',
    linkIntro: '或点击下方链接一键完成验证：',
    linkLabel: '验证我的邮箱地址',
    validity: (minutes) => `验证码 ${minutes} 分钟内有效。之前收到的验证码在过期前仍然可用。`,
    ignore: '如果这不是您本人的操作，请忽略本邮件。',
  },
};

export function composeVerificationMail(content: VerificationMailContent): OutgoingMail {
  const words = WORDING[content.lang];
  const validity = words.validity(content.validForMinutes);
  const textLines = [words.greeting, '', words.codeIntro, '', `    ${content.code}`, ''];
  if (content.link) textLines.push(words.linkIntro, content.link, '');
  textLines.push(validity, '', words.ignore);

  const link = content.link ? escapeHtml(content.link) : undefined;
  const html = [
    `<!DOCTYPE html><html lang="${content.lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">`,
    `<title>${escapeHtml(words.subject)}</title></head>`,
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;line-height:1.5">',
    `<p>${escapeHtml(words.greeting)}</p>`,
    `<p>${escapeHtml(words.codeIntro)}</p>`,
    `<p style="font-size:28px;font-weight:600;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${escapeHtml(content.code)}</p>`,
    link ? `<p>${escapeHtml(words.linkIntro)}</p><p><a href="${link}">${escapeHtml(words.linkLabel)}</a></p>` : '',
    `<p>${escapeHtml(validity)}</p>`,
    `<p style="color:#656d76;font-size:13px">${escapeHtml(words.ignore)}</p>`,
    '</body></html>',
  ].join('');

  return { to: content.to, subject: words.subject, text: textLines.join('\n'), html };
}
