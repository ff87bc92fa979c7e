/**
 * The local SES's inbox (aws-ses-v2-local keeps every mail; GET /store lists them), and how to
 * read a verification mail's code and link: used by the CLI's `code` and `link` commands and by
 * the tests.
 */
import { ROUTES } from '../lambdas/routes.js';

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

/** Every mail in the local SES at `sesEndpoint`, oldest first. */
export async function readInbox(sesEndpoint: string): Promise<InboxMail[]> {
  const response = await fetch(`${sesEndpoint.replace(/\/+$/, '')}/store`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${sesEndpoint}/store answered ${response.status}`);
  const store = (await response.json()) as { emails?: InboxMail[] };
  return store.emails ?? [];
}

/** The bare address in `Name <a@b>` or `a@b`, lower-cased. */
export function bareAddress(recipient: string): string {
  const match = /<([^>]*)>\s*$/.exec(recipient);
  return (match ? match[1]! : recipient).trim().toLowerCase();
}

export function isAddressedTo(mail: InboxMail, address: string): boolean {
  const wanted = bareAddress(address);
  const { to, cc, bcc } = mail.destination;
  return [...to, ...cc, ...bcc].some((recipient) => bareAddress(recipient) === wanted);
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&');
}

const URL_OR_ADDRESS = /https?:\/\/\S+|[^\s<>"']+@[^\s<>"']+/g;

/**
 * The 6-digit code in a verification mail: a line holding only the code (as the built-in
 * templates write it), else the first 6-digit number outside links and addresses, in the text
 * part and then the HTML's visible text. Undefined when there is none.
 */
export function verificationCodeIn(mail: InboxMail): string | undefined {
  const texts = [mail.body.text, mail.body.html === undefined ? undefined : htmlToText(mail.body.html)];
  for (const text of texts) {
    const alone = text === undefined ? null : /^\s*(\d{6})\s*$/m.exec(text);
    if (alone) return alone[1];
  }
  for (const text of texts) {
    const match = text === undefined ? null : /(?<!\d)\d{6}(?!\d)/.exec(text.replace(URL_OR_ADDRESS, ' '));
    if (match) return match[0];
  }
  return undefined;
}

function decodeEntities(url: string): string {
  return url
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/gi, '/')
    .replace(/&quot;/g, '"');
}

/**
 * The verification link in a mail: the first http(s) URL to the verification page (else the
 * first URL at all), from the text part or the HTML's hrefs. Undefined when there is none.
 */
export function verificationLinkIn(mail: InboxMail): string | undefined {
  const urls: string[] = [];
  if (mail.body.text) urls.push(...(mail.body.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []));
  if (mail.body.html) {
    for (const match of mail.body.html.matchAll(/href\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
      urls.push(decodeEntities(match[2] ?? match[3] ?? ''));
    }
    urls.push(...(mail.body.html.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []).map(decodeEntities));
  }
  const http = urls.filter((url) => /^https?:\/\//i.test(url));
  return http.find((url) => new URL(url).pathname.endsWith(ROUTES.showVerificationPage.path)) ?? http[0];
}
