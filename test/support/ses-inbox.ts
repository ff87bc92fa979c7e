/**
 * Reads what the handlers mailed, from aws-ses-v2-local's JSON store (GET /store), which the
 * jest global setup publishes as SES_ENDPOINT.
 */
import {
  isAddressedTo,
  readInbox as readLocalInbox,
  verificationCodeIn,
  verificationLinkIn,
  type InboxMail,
} from '../../local/local-inbox.js';

export type { InboxMail } from '../../local/local-inbox.js';
export { isAddressedTo } from '../../local/local-inbox.js';

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
  return readLocalInbox(endpointOf(sesEndpoint));
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

/** The 6-digit one-time code in the mail (the CLI's `code` command reads it the same way). */
export function extractCode(mail: InboxMail): string {
  const code = verificationCodeIn(mail);
  if (code === undefined) throw new Error(`no 6-digit code in the mail "${mail.subject}" (${mail.messageId})`);
  return code;
}

/** The verification link in the mail (the CLI's `link` command reads it the same way). */
export function extractLink(mail: InboxMail): string {
  const link = verificationLinkIn(mail);
  if (link === undefined) throw new Error(`no link in the mail "${mail.subject}" (${mail.messageId})`);
  return link;
}
