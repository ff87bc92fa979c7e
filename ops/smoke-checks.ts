/**
 * The checks of `npm run smoke`: a deployed stack (or `npm start`) probed from outside, as a
 * client would meet it, without sending mail unless asked to. Each check says what it proves and,
 * when it fails, what is most likely wrong.
 *
 * The RPC calls use the unmodified Aliyun client (`@alicloud/pop-core`), so a pass means real
 * Aliyun clients work too. Nothing here reads AWS: only the URL and the keys it is given.
 */
import RPCClient from '@alicloud/pop-core';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { NO_ROUTE_BODY, NO_ROUTE_STATUS } from '../lambdas/http/no-route.js';
import { ROUTES } from '../lambdas/routes.js';
import { API_VERSION } from '../lambdas/rpc/rpc-endpoint.js';
import { PAGE_STATUS, pageHeading } from '../lambdas/rpc/verification-page.js';
import { escapeHtml } from '../src/html/escape-html.js';

export interface RpcKey {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

export interface SmokeOptions {
  /** The API's base URL: the stack's `ApiUrl` output, a custom domain with its base path, or `npm start`'s URL. */
  readonly url: string;
  /** An RPC access key of the stack (`npm run keys -- show`); without it the signed checks are skipped. */
  readonly rpcKey?: RpcKey;
  /** Also run the whole loop, mailing this address (in the SES sandbox: a verified one). */
  readonly sendTo?: string;
  /** Where to read the mail for `sendTo`: a local SES (`npm start`'s inbox URL); otherwise `ask`. */
  readonly inbox?: string;
  /** Asks the person running the smoke test for the link in the mail. */
  readonly ask?: (question: string) => Promise<string>;
  /** Per request; a cold start of both functions takes a few seconds. */
  readonly timeoutMs?: number;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen (pass, fail) or why it did not run (skip). */
  readonly detail: string;
  /** For a failure: what is most likely wrong. */
  readonly hint?: string;
  readonly ms: number;
}

class CheckFailure extends Error {
  constructor(
    readonly detail: string,
    readonly hint?: string,
  ) {
    super(detail);
  }
}

interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

const MISSING_ROUTE =
  'API Gateway has no such route here: use the ApiUrl output as it is, stage included (https://<id>.execute-api.<region>.amazonaws.com/prod/), ' +
  "or your custom domain with its base path; npm start's URL has no stage";
const FUNCTION_FAILED =
  "the function failed before it could answer: read its log group (/aws/lambda/...); at a cold start that is most often a secret it could not read or a bad setting";

/** Runs every check in order, reporting each as it ends; later checks are skipped when the URL does not answer. */
export async function runSmoke(options: SmokeOptions, report: (result: CheckResult) => void = () => {}): Promise<CheckResult[]> {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    report(result);
    return result;
  };
  const check = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    const started = Date.now();
    try {
      const detail = await run();
      return record({ name, status: 'pass', detail, ms: Date.now() - started }).status === 'pass';
    } catch (error) {
      const failure = error instanceof CheckFailure ? error : unexpected(error, base);
      record({ name, status: 'fail', detail: failure.detail, ...(failure.hint ? { hint: failure.hint } : {}), ms: Date.now() - started });
      return false;
    }
  };
  const skip = (name: string, why: string) => record({ name, status: 'skip', detail: why, ms: 0 });
  const http = (path: string, init: RequestInit = {}) => request(`${base}${path}`, init, timeoutMs);
  const rpc = (key: RpcKey) => rpcClient(base, key, timeoutMs);

  const names = {
    page: 'page: an invalid link shows the invalid-link page',
    iam: 'iam: a forged token is refused with 401 code 406',
    rpcUnknownKey: 'rpc: an unknown access key is refused with InvalidAccessKeyId.NotFound',
    rpcQuery: 'rpc: a signed QueryEmailVerification of an unknown address answers EmailNotSubmitted',
    rpcSignature: 'rpc: a wrong signature answers SignatureDoesNotMatch',
    submit: 'loop: SubmitEmailVerification mails the address',
    mail: 'loop: the mail arrives with a verification link',
    verify: 'loop: the link verifies the address',
    query: 'loop: QueryEmailVerification reports it verified',
  };

  const reachable = await check(names.page, async () => {
    const answer = await http(`${ROUTES.showVerificationPage.path}?token=smoke-not-a-token&lang=en`);
    expectGatewayRoute(answer);
    if (answer.status !== PAGE_STATUS.invalid || headingOf(answer.text) !== escapeHtml(pageHeading('invalid', 'en'))) {
      throw new CheckFailure(`got ${describe(answer)}`, answer.status >= 500 ? FUNCTION_FAILED : 'this URL does not serve the verification page: is it this API?');
    }
    return `${answer.status} "${headingOf(answer.text)}"`;
  });
  if (!reachable) {
    for (const name of Object.values(names).slice(1)) skip(name, 'the URL does not answer as this API');
    return results;
  }

  await check(names.iam, async () => {
    const answer = await http(ROUTES.resendCode.path, { method: 'POST', headers: { Authorization: `Bearer ${forgedToken()}` } });
    expectGatewayRoute(answer);
    const body = parseJson(answer.text);
    if (answer.status !== 401 || body?.group !== 'user' || body?.code !== 406) {
      throw new CheckFailure(`got ${describe(answer)}`, answer.status >= 500 ? FUNCTION_FAILED : undefined);
    }
    return `401 ${JSON.stringify({ group: body.group, code: body.code })}`;
  });

  await check(names.rpcUnknownKey, async () => {
    const code = await rpcErrorCode(rpc({ accessKeyId: `smoke-${randomUUID()}`, accessKeySecret: 'smoke' }), 'QueryEmailVerification', {
      Email: unknownAddress(),
    });
    if (code !== 'InvalidAccessKeyId.NotFound') throw new CheckFailure(`got ${code}`, rpcHint(code));
    return code;
  });

  const key = options.rpcKey;
  if (!key) {
    for (const name of [names.rpcQuery, names.rpcSignature]) skip(name, 'needs --rpc-key-id and --rpc-key-secret');
  } else {
    await check(names.rpcQuery, async () => {
      const code = await rpcErrorCode(rpc(key), 'QueryEmailVerification', { Email: unknownAddress() });
      if (code !== 'EmailNotSubmitted') throw new CheckFailure(`got ${code}`, rpcHint(code));
      return code;
    });
    await check(names.rpcSignature, async () => {
      const code = await rpcErrorCode(rpc({ ...key, accessKeySecret: `${key.accessKeySecret}-wrong` }), 'QueryEmailVerification', {
        Email: unknownAddress(),
      });
      if (code !== 'SignatureDoesNotMatch') throw new CheckFailure(`got ${code}`, rpcHint(code));
      return code;
    });
  }

  const loop = [names.submit, names.mail, names.verify, names.query];
  if (options.sendTo === undefined) {
    for (const name of loop) skip(name, 'needs --send-to <address>');
    return results;
  }
  if (!key) {
    for (const name of loop) skip(name, 'needs --rpc-key-id and --rpc-key-secret as well as --send-to');
    return results;
  }
  const address = options.sendTo;
  const sentAfter = Date.now();
  let link: URL | undefined;
  const steps: Array<[string, () => Promise<string>]> = [
    [
      names.submit,
      async () => {
        const answer = await rpcCall<SendLists>(rpc(key), 'SubmitEmailVerification', { Email: address, SendIfExist: 'true' });
        const failed = [...(answer.FailList ?? []), ...(answer.ExistList ?? [])][0];
        if (failed) throw new CheckFailure(`${failed.Code}: ${failed.Message ?? ''}`.trim(), sendHint(failed.Code, address));
        if ((answer.SuccessList ?? []).length !== 1) throw new CheckFailure(`unexpected answer ${JSON.stringify(answer)}`);
        return `Success for ${address}`;
      },
    ],
    [
      names.mail,
      async () => {
        const text = options.inbox
          ? await linkFromInbox(options.inbox, address, sentAfter, timeoutMs)
          : options.ask
            ? await options.ask(`Paste the verification link from the mail to ${address}: `)
            : undefined;
        if (text === undefined) throw new CheckFailure('no --inbox to read and no terminal to ask for the link', 'run it in a terminal, or pass --inbox <local SES URL>');
        link = verificationLinkIn(text);
        if (!link) throw new CheckFailure(`no ${ROUTES.showVerificationPage.path}?token=... link in "${text.slice(0, 200)}"`);
        return `${link.origin}${link.pathname}`;
      },
    ],
    [
      names.verify,
      async () => {
        const page = await request(link!.href, {}, timeoutMs);
        if (page.status !== 200 || !/<form method="post"/.test(page.text)) {
          throw new CheckFailure(`opening the link: ${describe(page)}`, linkHint(link!, base));
        }
        const confirm = await request(
          new URL('email-verification', link!).href,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token: link!.searchParams.get('token') ?? '', lang: 'en' }).toString(),
          },
          timeoutMs,
        );
        if (confirm.status !== 200 || headingOf(confirm.text) !== escapeHtml(pageHeading('verified', 'en'))) {
          throw new CheckFailure(`confirming: ${describe(confirm)}`);
        }
        return `200 "${headingOf(confirm.text)}"`;
      },
    ],
    [
      names.query,
      async () => {
        const answer = await rpcCall<{ VerificationStatus?: number }>(rpc(key), 'QueryEmailVerification', { Email: address });
        if (answer.VerificationStatus !== 1) throw new CheckFailure(`VerificationStatus ${answer.VerificationStatus}`);
        return 'VerificationStatus 1';
      },
    ],
  ];
  for (const [index, [name, run]] of steps.entries()) {
    if (!(await check(name, run))) {
      for (const [later] of steps.slice(index + 1)) skip(later, 'an earlier step of the loop failed');
      break;
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Requests

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

type Client = RPCClient & { keepAliveAgent?: { destroy(): void } };

function rpcClient(base: string, key: RpcKey, timeoutMs: number): { client: Client; timeoutMs: number } {
  const client = new RPCClient({ ...key, endpoint: base, apiVersion: API_VERSION }) as Client;
  return { client, timeoutMs };
}

async function rpcCall<T>(rpc: { client: Client; timeoutMs: number }, action: string, params: Record<string, string>): Promise<T> {
  try {
    return await rpc.client.request<T>(action, params, { method: 'POST', timeout: rpc.timeoutMs });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && /^[A-Z]/.test(code)) throw new CheckFailure(`got ${code}`, rpcHint(code));
    throw error;
  } finally {
    // The client keeps connections alive; the smoke test is done with them.
    rpc.client.keepAliveAgent?.destroy();
  }
}

/** The Aliyun error code a call answers with; a success or a non-Aliyun answer is a failure. */
async function rpcErrorCode(rpc: { client: Client; timeoutMs: number }, action: string, params: Record<string, string>): Promise<string> {
  let answer: unknown;
  try {
    answer = await rpc.client.request(action, params, { method: 'POST', timeout: rpc.timeoutMs });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && /^[A-Z]/.test(code)) return code;
    throw error;
  } finally {
    rpc.client.keepAliveAgent?.destroy();
  }
  // pop-core returns any JSON body without a Code, such as API Gateway's own errors.
  const message = (answer as { message?: string } | null)?.message;
  if (isNoRouteMessage(message)) throw new CheckFailure(`got API Gateway's "${message}"`, MISSING_ROUTE);
  if (message === 'Internal server error') throw new CheckFailure(`got API Gateway's "${message}"`, FUNCTION_FAILED);
  throw new CheckFailure(`expected an error, got ${JSON.stringify(answer).slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// What answers mean

interface SendResult {
  readonly Email: string;
  readonly Code: string;
  readonly Message?: string;
}

interface SendLists {
  readonly SuccessList?: SendResult[];
  readonly FailList?: SendResult[];
  readonly ExistList?: SendResult[];
}

/**
 * API Gateway's answer for a path or method the API does not have: this stack's 404 listing the
 * routes, or the plain 403 "Missing Authentication Token" of a stack deployed before it.
 */
function isNoRouteMessage(message: unknown): boolean {
  return message === NO_ROUTE_BODY.message || message === 'Missing Authentication Token';
}

function expectGatewayRoute(answer: HttpAnswer): void {
  const message = parseJson(answer.text)?.message;
  if ((answer.status === NO_ROUTE_STATUS || answer.status === 403) && isNoRouteMessage(message)) {
    throw new CheckFailure(`got ${answer.status} ${answer.text.slice(0, 160)}`, MISSING_ROUTE);
  }
  if (answer.status === 502 || (answer.status >= 500 && message === 'Internal server error')) {
    throw new CheckFailure(`got ${describe(answer)}`, FUNCTION_FAILED);
  }
}

function rpcHint(code: string | undefined): string | undefined {
  switch (code) {
    case 'InvalidAccessKeyId.NotFound':
      return 'the --rpc-key-id is not in the RPC access keys secret (npm run keys -- show); a new key reaches only function instances started after it was added';
    case 'SignatureDoesNotMatch':
      return 'wrong --rpc-key-secret for this --rpc-key-id (npm run keys -- show --reveal)';
    case 'InvalidTimeStamp.Expired':
      return "this machine's clock is more than 15 minutes off";
    case 'InternalError':
      return FUNCTION_FAILED;
    default:
      return undefined;
  }
}

function sendHint(code: string, address: string): string | undefined {
  switch (code) {
    case 'SendEmailFailed':
      return (
        'SES refused the mail. Most likely: the sender identity is not verified yet in the stack\'s region (output SesIdentityArns; ' +
        'with sesDomain the DKIM records must resolve), MAIL_FROM is not on it, or the account is in the SES sandbox and ' +
        `${address} is not a verified identity there or not among -c sesSandboxRecipients (the function's log has SES's message)`
      );
    case 'EmailAlreadyVerified':
      return `${address} is already verified (a year by default): use a new address, e.g. with a +tag`;
    case 'SendTokenQuotaExceeded':
      return `${address} was mailed less than RESEND_COOLDOWN_SECONDS ago (or too often this window): wait, or use another address`;
    case 'DailyLimitExceeded':
      return "this access key's RPC_MAX_VERIFICATIONS_PER_DAY is used up";
    case 'ParameterIllegall':
      return `${address} is not a valid address`;
    default:
      return undefined;
  }
}

function linkHint(link: URL, base: string): string {
  return new URL(base).host === link.host
    ? FUNCTION_FAILED
    : `the link points at ${link.origin}, not at ${base}: set PUBLIC_BASE_URL (-c publicBaseUrl=...) to where this API is served`;
}

function unexpected(error: unknown, base: string): CheckFailure {
  const causeError = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } })?.cause;
  const cause = causeError?.code ?? causeError?.errors?.[0]?.code ?? (error as { code?: string })?.code;
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || cause === 'ETIMEDOUT' || /timeout/i.test(String((error as Error)?.message))) {
    return new CheckFailure(`no answer from ${base} in time`, 'the host does not answer: a wrong URL, a firewall, or a very slow cold start (retry once)');
  }
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN' || cause === 'ECONNRESET' || (error as Error)?.message === 'fetch failed') {
    return new CheckFailure(
      `cannot connect to ${base} (${cause ?? causeError?.message ?? 'fetch failed'})`,
      'wrong URL: check the host and port (the ApiUrl output after a deploy, or the URL npm start prints), and that the stack or npm start is up',
    );
  }
  return new CheckFailure(String((error as Error)?.message ?? error));
}

function describe(answer: HttpAnswer): string {
  const title = headingOf(answer.text);
  return `${answer.status} ${answer.contentType.split(';')[0]} ${title ? `"${title}"` : answer.text.slice(0, 160)}`.trim();
}

/** The page's heading: its state, whatever product name the deployment gives it. */
function headingOf(html: string): string {
  return /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A well-formed HS256 JWT with plausible claims, signed with a key the service has never had. */
function forgedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${part({ sub: unknownAddress(), iat: now, exp: now + 600 })}`;
  return `${unsigned}.${createHmac('sha256', randomBytes(32)).update(unsigned).digest('base64url')}`;
}

/** An address no one has submitted, on a domain that can never receive mail. */
function unknownAddress(): string {
  return `smoke-${randomUUID()}@smoke.invalid`;
}

function verificationLinkIn(text: string): URL | undefined {
  const page = ROUTES.showVerificationPage.path.replace(/[/]/g, '\\/');
  const match = new RegExp(`https?://[^\\s"'<>]*${page}\\?[^\\s"'<>]+`).exec(text.replace(/&amp;/g, '&'));
  if (!match) return undefined;
  const url = new URL(match[0]);
  return url.searchParams.get('token') ? url : undefined;
}

/** The newest mail to `address` in a local SES (aws-ses-v2-local's GET /store) since `after`. */
async function linkFromInbox(inbox: string, address: string, after: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const store = (await (await fetch(`${inbox.replace(/\/+$/, '')}/store`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as {
      emails?: Array<{ destination?: { to?: string[] }; body?: { text?: string; html?: string }; at?: number }>;
    };
    const mails = (store.emails ?? []).filter(
      (mail) => (mail.destination?.to ?? []).some((to) => to.toLowerCase().includes(address.toLowerCase())) && (mail.at ?? 0) * 1000 >= after - 1000,
    );
    const newest = mails[mails.length - 1];
    if (newest) return `${newest.body?.text ?? ''}\n${newest.body?.html ?? ''}`;
    if (Date.now() > deadline) throw new CheckFailure(`no mail to ${address} in ${inbox} within ${timeoutMs} ms`, 'is --inbox the local SES that npm start uses?');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
