import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { parseFormUrlEncoded } from '../../src/aliyun-rpc/index.js';
import { parseLang, type Lang } from '../../src/domain/lang.js';
import { verifyByLink } from '../../src/domain/verify-address.js';
import { isLive } from '../../src/domain/verification-record.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import { logFieldsOf } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { budgetOf } from '../http/request-budget.js';
import type { ProxyRoute } from '../http/router.js';
import { pageStateOf } from './rpc-error-mapping.js';
import { verificationPage, type PageState } from './verification-page.js';

// A confirm form holds a token and a language: anything longer is not ours.
const MAX_FORM_LENGTH = 8192;

/**
 * The page the mailed link opens. Its GET only shows a confirm button, so a link scanner that
 * prefetches the URL verifies nothing; the person's click, a POST of the same token, does.
 */
export function createVerificationPageRoutes(deps: ServiceDependencies): { show: ProxyRoute; confirm: ProxyRoute } {
  const show: ProxyRoute = async (event, context) => {
    const token = event.queryStringParameters?.token ?? '';
    const lang = parseLang(event.queryStringParameters?.lang) ?? 'en';
    const state = await pageState(context, async () => {
      const claims = await deps.linkTokens.read(token, deps.clock());
      logFieldsOf(context).email = maskEmail(claims.address);
      const record = await deps.store.find(claims.key, budgetOf(context));
      if (!isLive(record, deps.clock())) return 'not-found';
      return record.status === 'verified' ? 'already-verified' : 'confirm';
    });
    return verificationPage(state, lang, token);
  };

  const confirm: ProxyRoute = async (event, context) => {
    const form = new Map(parseFormBody(event));
    const lang: Lang = parseLang(form.get('lang')) ?? 'en';
    const state = await pageState(context, async () => {
      const claims = await deps.linkTokens.read(form.get('token') ?? '', deps.clock());
      logFieldsOf(context).email = maskEmail(claims.address);
      await verifyByLink(deps.verify, claims, event.requestContext.identity.sourceIp, budgetOf(context));
      return 'verified';
    });
    return verificationPage(state, lang);
  };

  return { show, confirm };
}

/** The state `work` ends in, or the one its error maps to; logged either way. */
async function pageState(context: Context, work: () => Promise<PageState>): Promise<PageState> {
  let state: PageState;
  try {
    state = await work();
  } catch (error) {
    state = pageStateOf(error);
  }
  logFieldsOf(context).page = state;
  return state;
}

function parseFormBody(event: APIGatewayProxyEvent): Array<[string, string]> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  try {
    return parseFormUrlEncoded(raw.slice(0, MAX_FORM_LENGTH));
  } catch {
    return [];
  }
}
