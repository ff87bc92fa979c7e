import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../src/html/escape-html.js';
import type { Lang } from '../../src/domain/lang.js';

export type PageState = 'confirm' | 'verified' | 'already-verified' | 'expired' | 'invalid' | 'not-found' | 'unavailable';

interface PageText {
  title: string;
  body: string;
  button?: string;
}

const TEXT: Record<Lang, Record<PageState, PageText>> = {
  en: {
    confirm: {
      title: 'Verify your email address',
      body: 'Press the button to confirm that this is your email address.',
      button: 'Verify my email address',
    },
    verified: { title: 'Email address verified', body: 'Thank you. Your email address is verified; you can close this page.' },
    'already-verified': { title: 'Already verified', body: 'This email address is already verified. Nothing more to do.' },
    expired: {
      title: 'This link has expired',
      body: 'Verification links work for a limited time. Ask the site you signed up with to send a new verification email.',
    },
    invalid: {
      title: 'This link is not valid',
      body: 'The link may be incomplete. Open it again from the email, or ask for a new verification email.',
    },
    'not-found': {
      title: 'No pending verification',
      body: 'There is no pending verification for this address. Ask the site you signed up with to start a new one.',
    },
    unavailable: { title: 'Please try again', body: 'We could not verify your address just now. Please try again in a minute.' },
  },
  zh: {
    confirm: { title: '验证您的邮箱地址', body: '请点击下方按钮，确认这是您的邮箱地址。', button: '验证我的邮箱地址' },
    verified: { title: '邮箱验证成功', body: '谢谢！您的邮箱地址已通过验证，可以关闭本页面。' },
    'already-verified': { title: '邮箱已验证', body: '该邮箱地址已经通过验证，无需其他操作。' },
    expired: { title: '链接已过期', body: '验证链接有时效限制。请在您注册的网站上重新发送验证邮件。' },
    invalid: { title: '链接无效', body: '链接可能不完整。请从邮件中重新打开，或重新发送验证邮件。' },
    'not-found': { title: '没有待验证的记录', body: '该邮箱没有待完成的验证。请在您注册的网站上重新发起验证。' },
    unavailable: { title: '请稍后重试', body: '暂时无法完成验证，请稍后再试。' },
  },
};

const STATUS: Record<PageState, number> = {
  confirm: 200,
  verified: 200,
  'already-verified': 200,
  expired: 410,
  invalid: 400,
  'not-found': 404,
  unavailable: 503,
};

/**
 * A small page, no script. The link's GET only shows a button: link scanners that prefetch URLs
 * never verify anything; the person's click (a POST of the same token) does.
 */
export function verificationPage(state: PageState, lang: Lang, token?: string): APIGatewayProxyResult {
  const text = TEXT[lang][state];
  const form =
    state === 'confirm' && token
      ? `<form method="post" action="email-verification"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
        `<input type="hidden" name="lang" value="${lang}"><button type="submit">${escapeHtml(text.button ?? '')}</button></form>`
      : '';
  const body =
    `<!DOCTYPE html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">' +
    `<title>${escapeHtml(text.title)}</title><style>` +
    'body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}' +
    'button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}' +
    `</style></head><body><h1>${escapeHtml(text.title)}</h1><p>${escapeHtml(text.body)}</p>${form}</body></html>`;
  return {
    statusCode: STATUS[state],
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // The token is in the URL: never send it on as a referrer.
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      // For browsers that predate CSP frame-ancestors: the confirm button must not be framed.
      'X-Frame-Options': 'DENY',
      // API Gateway serves HTTPS only; browsers should never try the link over HTTP.
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    },
    body,
  };
}
