import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../src/html/escape-html.js';
import type { Lang } from '../../src/domain/lang.js';
import { describeLifetime } from '../../src/domain/mail-composition.js';

export type PageState = 'confirm' | 'verified' | 'already-verified' | 'expired' | 'invalid' | 'not-found' | 'unavailable';

/** Page wording. `{product}`, `{email}` and `{lifetime}` are filled in (escaped) when shown. */
interface PageText {
  readonly title: string;
  /** Said when the address is known (from the link's token). */
  readonly body: string;
  /** Said when it is not (a malformed link). */
  readonly bodyWithoutEmail?: string;
  readonly button?: string;
}

const TEXT: Record<Lang, Record<PageState, PageText>> = {
  en: {
    confirm: {
      title: 'Verify your email address',
      body: 'Confirm that {email} is your email address for {product}.',
      button: 'Verify my email address',
    },
    verified: { title: 'Email address verified', body: '{email} is verified for {product}. You can close this page.' },
    'already-verified': {
      title: 'Already verified',
      body: '{email} is already verified. There is nothing more to do.',
      bodyWithoutEmail: 'This email address is already verified. There is nothing more to do.',
    },
    expired: {
      title: 'This link has expired',
      body: 'Verification links work for {lifetime}. Ask {product} to send a new verification email to {email}.',
      bodyWithoutEmail: 'Verification links work for {lifetime}. Ask {product} to send you a new verification email.',
    },
    invalid: {
      title: 'This link is not valid',
      body: 'The link may be incomplete. Open it again from the email, or ask {product} for a new verification email.',
    },
    'not-found': {
      title: 'No pending verification',
      body: 'There is no pending verification for {email}. Ask {product} to start a new one.',
      bodyWithoutEmail: 'There is no pending verification for this address. Ask {product} to start a new one.',
    },
    unavailable: {
      title: 'Please try again',
      body: 'We could not verify {email} just now. Please try again in a minute.',
      bodyWithoutEmail: 'We could not verify your address just now. Please try again in a minute.',
    },
  },
  zh: {
    confirm: { title: '验证您的邮箱地址', body: '请确认 {email} 是您在 {product} 使用的邮箱地址。', button: '验证我的邮箱地址' },
    verified: { title: '邮箱验证成功', body: '{email} 已通过 {product} 的验证，您可以关闭本页面。' },
    'already-verified': {
      title: '邮箱已验证',
      body: '{email} 已经通过验证，无需其他操作。',
      bodyWithoutEmail: '该邮箱地址已经通过验证，无需其他操作。',
    },
    expired: {
      title: '链接已过期',
      body: '验证链接的有效期为 {lifetime}。请让 {product} 向 {email} 重新发送验证邮件。',
      bodyWithoutEmail: '验证链接的有效期为 {lifetime}。请让 {product} 重新发送验证邮件。',
    },
    invalid: { title: '链接无效', body: '链接可能不完整。请从邮件中重新打开，或让 {product} 重新发送验证邮件。' },
    'not-found': {
      title: '没有待验证的记录',
      body: '{email} 没有待完成的验证。请在 {product} 重新发起验证。',
      bodyWithoutEmail: '该邮箱地址没有待完成的验证。请在 {product} 重新发起验证。',
    },
    unavailable: {
      title: '请稍后重试',
      body: '暂时无法验证 {email}，请稍后再试。',
      bodyWithoutEmail: '暂时无法完成验证，请稍后再试。',
    },
  },
};

export const PAGE_STATUS: Readonly<Record<PageState, number>> = {
  confirm: 200,
  verified: 200,
  'already-verified': 200,
  expired: 410,
  invalid: 400,
  'not-found': 404,
  unavailable: 503,
};

/** What the page shows besides its state. */
export interface PageContext {
  readonly lang: Lang;
  /** PRODUCT_NAME: who asked for the verification. */
  readonly product: string;
  /** How long a mailed link works (OTP_TTL_SECONDS). */
  readonly linkLifetimeSeconds: number;
  /** The address the link is for, when its token could be read. */
  readonly email?: string;
  /** The link's token, for the confirm form. */
  readonly token?: string;
}

// Body text from 16 px up and a button at least 48 px tall at any width: readable and easy to
// press on a phone (touch targets want 44 px or more).
const STYLE =
  "body{margin:0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;" +
  'font-size:16px;line-height:1.5;color:#1f2328;background:#fff}' +
  'main{max-width:32rem;margin:0 auto;padding:3rem 1rem}' +
  '.product{margin:0 0 .5rem;font-size:.875rem;font-weight:600;color:#57606a}' +
  'h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.3}p{margin:0 0 1rem}.email{font-weight:600;overflow-wrap:anywhere}' +
  'button{display:block;width:100%;min-height:48px;padding:12px 24px;font:inherit;font-weight:600;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}' +
  '@media (min-width:40rem){button{display:inline-block;width:auto}}';

/** The wording with its values, escaped, in one pass (a value is never read as a placeholder). */
function fill(text: string, page: PageContext): string {
  const values: Record<string, string> = {
    product: escapeHtml(page.product),
    email: `<span class="email">${escapeHtml(page.email ?? '')}</span>`,
    lifetime: escapeHtml(describeLifetime(page.linkLifetimeSeconds, page.lang)),
  };
  return escapeHtml(text).replace(/\{(product|email|lifetime)\}/g, (_, name: string) => values[name]!);
}

/**
 * A small page, no script. The link's GET only shows a button: link scanners that prefetch URLs
 * never verify anything; the person's click (a POST of the same token) does.
 */
/** The page's heading for a state, whatever the product: what a smoke test can check it by. */
export function pageHeading(state: PageState, lang: Lang): string {
  return TEXT[lang][state].title;
}

export function verificationPage(state: PageState, page: PageContext): APIGatewayProxyResult {
  const { lang, token } = page;
  const text = TEXT[lang][state];
  const bodyText = page.email ? text.body : (text.bodyWithoutEmail ?? text.body);
  const form =
    state === 'confirm' && token
      ? `<form method="post" action="email-verification"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
        `<input type="hidden" name="lang" value="${lang}"><button type="submit">${escapeHtml(text.button ?? '')}</button></form>`
      : '';
  const body =
    `<!DOCTYPE html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">' +
    `<title>${escapeHtml(text.title)} · ${escapeHtml(page.product)}</title><style>${STYLE}</style></head>` +
    `<body><main><p class="product">${escapeHtml(page.product)}</p><h1>${escapeHtml(text.title)}</h1>` +
    `<p>${fill(bodyText, page)}</p>${form}</main></body></html>`;
  return {
    statusCode: PAGE_STATUS[state],
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // The token is in the URL: never send it on as a referrer.
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    },
    body,
  };
}
