/**
 * Reads what the handlers mailed, from aws-ses-v2-local's JSON store (GET /store), which the
 * jest global setup publishes as SES_ENDPOINT.
 */
import { ROUTES } from '../../lambdas/routes.js';

/** One stored mail, as aws-ses-v2-local keeps it. */
export interface InboxMail {
  readonly messageId: string;
  readonly from: string;
  readonly replyTo: string[];
  readonly destination: { readonly to: string[]; readonly cc: string[]; readonly bcc: string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly attachments: unknown[];
  readonly headers?: { name: string; value: string }[];
  /** Epoch seconds. */
  readonly at: number;
}

export interface InboxOptions {
  /** Defaults to process.env.SES_ENDPOINT. */
  readonly sesEndpoint?: string;
}

function endpointOf(options: InboxOptions | string | undefined): string {
  const endpoint = typeof options === 'string' ? options : (options?.sesEndpoint ?? process.env.SES_ENDPOINT);
  if (!endpoint) throw new Error('SES_ENDPOINT is not set: is the jest global setup (test/support/global-setup.ts) configured?');
  return endpoint.replace(/\/+$/, '');
}

/** Every mail in the local SES, oldest first. */
export async function readInbox(sesEndpoint?: string): Promise<InboxMail[]> {
  const response = await fetch(`${endpointOf(sesEndpoint)}/store`);
  if (!response.ok) throw new Error(`GET /store answered ${response.status}`);
  const store = (await response.json()) as { emails?: InboxMail[] };
  return store.emails ?? [];
}

/** The bare address in `Name <a@b>` or `a@b`, lower-cased. */
function bareAddress(recipient: string): string {
  const match = /<([^>]*)>\s*$/.exec(recipient);
  return (match ? match[1]! : recipient).trim().toLowerCase();
}

export function isAddressedTo(mail: InboxMail, address: string): boolean {
  const wanted = bareAddress(address);
  const { to, cc, bcc } = mail.destination;
  return [...to, ...cc, ...bcc].some((recipient) => bareAddress(recipient) === wanted);
}

/** Every mail to `address` (case-insensitive), oldest first. */
export async function mailsTo(address: string, options?: InboxOptions): Promise<InboxMail[]> {
  return (await readInbox(endpointOf(options))).filter((mail) => isAddressedTo(mail, address));
}

/** The newest mail to `address`, or undefined. */
export async function latestMailTo(address: string, options?: InboxOptions): Promise<InboxMail | undefined> {
  const mails = await mailsTo(address, options);
  return mails[mails.length - 1];
}

/**
 * Waits (polling) until `address` has more than `after` mails, and returns the newest. The
 * handlers send before they answer, so usually the first poll already has it.
 */
export async function waitForMailTo(
  address: string,
  options: InboxOptions & { after?: number; timeoutMs?: number } = {},
): Promise<InboxMail> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const mails = await mailsTo(address, options);
    if (mails.length > (options.after ?? 0)) return mails[mails.length - 1]!;
    if (Date.now() > deadline) throw new Error(`no new mail to ${address} within ${options.timeoutMs ?? 5_000} ms (had ${mails.length})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

const SIX_DIGITS = /(?<![\d#&])\d{6}(?!\d)/;

/** The 6-digit one-time code in the mail (text part first, then the HTML's visible text). */
export function extractCode(mail: InboxMail): string {
  for (const text of [mail.body.text, mail.body.html === undefined ? undefined : htmlToText(mail.body.html)]) {
    const match = text === undefined ? null : SIX_DIGITS.exec(text);
    if (match) return match[0];
  }
  throw new Error(`no 6-digit code in the mail "${mail.subject}" (${mail.messageId})`);
}

function decodeEntities(url: string): string {
  return url.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&quot;/g, '"');
}

/**
 * The verification link in the mail: the first http(s) URL to the verification page (else the
 * first URL at all), from the text part or the HTML's hrefs.
 */
export function extractLink(mail: InboxMail): string {
  const urls: string[] = [];
  if (mail.body.text) urls.push(...(mail.body.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []));
  if (mail.body.html) {
    for (const match of mail.body.html.matchAll(/href\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
      urls.push(decodeEntities(match[2] ?? match[3] ?? ''));
    }
    urls.push(...(mail.body.html.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []).map(decodeEntities));
  }
  const http = urls.filter((url) => /^https?:\/\//i.test(url));
  const link = http.find((url) => new URL(url).pathname.endsWith(ROUTES.showVerificationPage.path)) ?? http[0];
  if (link === undefined) throw new Error(`no link in the mail "${mail.subject}" (${mail.messageId})`);
  return link;
}
