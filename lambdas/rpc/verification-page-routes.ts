import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { parseFormUrlEncoded } from '../../src/aliyun-rpc/index.js';
import { ExpiredTokenError } from '../../src/domain/errors.js';
import { parseLang, preferredLang, type Lang } from '../../src/domain/lang.js';
import type { TokenClaims } from '../../src/domain/verification-token.js';
import { verifyByLink } from '../../src/domain/verify-address.js';
import { isLive } from '../../src/domain/verification-record.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import { logFieldsOf, metricsOf } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { headerValue } from '../http/headers.js';
import type { ProxyRoute } from '../http/router.js';
import { pageStateOf } from './rpc-error-mapping.js';
import { verificationPage, type PageState } from './verification-page.js';

// A confirm form holds a token and a language: anything longer is not ours.
const MAX_FORM_LENGTH = 8192;

/**
 * The page the mailed link opens. Its GET only shows a confirm button, so a link scanner that
 * prefetches the URL verifies nothing; the person's click, a POST of the same token, does.
 * Every state names the product, and the address whenever the link's token says it.
 */
export function createVerificationPageRoutes(deps: ServiceDependencies): { show: ProxyRoute; confirm: ProxyRoute } {
  /** Reads the token, then runs `work`; the page state it ends in, and the address if known. */
  const outcome = async (context: Context, token: string, work: (claims: TokenClaims) => Promise<PageState>) => {
    let email: string | undefined;
    let state: PageState;
    try {
      const claims = await deps.linkTokens.read(token, deps.clock());
      email = claims.address;
      logFieldsOf(context).email = maskEmail(claims.address);
      state = await work(claims);
    } catch (error) {
      state = pageStateOf(error);
      if (error instanceof ExpiredTokenError) email = error.address;
    }
    logFieldsOf(context).page = state;
    countPageOutcome(context, state);
    return { state, email };
  };
  const page = (state: PageState, lang: Lang, email: string | undefined, token?: string) =>
    verificationPage(state, {
      lang,
      product: deps.config.productName,
      linkLifetimeSeconds: deps.config.otpTtlSeconds,
      ...(email ? { email } : {}),
      ...(token ? { token } : {}),
    });

  const show: ProxyRoute = async (event, context) => {
    const token = event.queryStringParameters?.token ?? '';
    const { state, email } = await outcome(context, token, async (claims) => {
      const record = await deps.store.find(claims.key);
      if (!isLive(record, deps.clock())) return 'not-found';
      return record.status === 'verified' ? 'already-verified' : 'confirm';
    });
    return page(state, pageLang(event, event.queryStringParameters?.lang), email, token);
  };

  const confirm: ProxyRoute = async (event, context) => {
    const form = new Map(parseFormBody(event));
    const { state, email } = await outcome(context, form.get('token') ?? '', async (claims) => {
      await verifyByLink(deps.verify, claims, { api: 'rpc', confirmIp: event.requestContext.identity.sourceIp });
      return 'verified';
    });
    return page(state, pageLang(event, form.get('lang')), email);
  };

  return { show, confirm };
}

/** Counts what the page ended in: a verification by link, or a rejected link token. */
function countPageOutcome(context: Context, state: PageState): void {
  const metrics = metricsOf(context);
  if (state === 'verified') metrics.count('Verifications', { method: 'link' });
  else if (state === 'invalid') metrics.count('TokenRejections', { errorCode: 'InvalidToken' });
  else if (state === 'expired') metrics.count('TokenRejections', { errorCode: 'InvalidToken.Expired' });
}

/**
 * The page's language: the browser's (Accept-Language) when it names English or Chinese, else
 * the one the link or the form carries (the mail's), else English.
 */
export function pageLang(event: Pick<APIGatewayProxyEvent, 'headers'>, carried: string | undefined): Lang {
  return preferredLang(headerValue(event, 'accept-language')) ?? (carried ? parseLang(carried) : undefined) ?? 'en';
}

function parseFormBody(event: APIGatewayProxyEvent): Array<[string, string]> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  try {
    return parseFormUrlEncoded(raw.slice(0, MAX_FORM_LENGTH));
  } catch {
    return [];
  }
}
