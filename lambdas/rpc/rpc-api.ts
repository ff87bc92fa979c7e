import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  authenticateRpcRequest,
  internalError,
  invalidActionNotFound,
  invalidVersion,
  isRpcRequestError,
  parseFormUrlEncoded,
  parseRpcRequest,
  renderRpcBody,
  renderRpcError,
  responseFormatFor,
  signatureNonceUsed,
  type ResponseFormat,
} from '../../src/aliyun-rpc/index.js';
import {
  AlreadyVerifiedError,
  ExpiredTokenError,
  InvalidTokenError,
  VerificationNotFoundError,
} from '../../src/domain/errors.js';
import { parseLang, type Lang } from '../../src/domain/lang.js';
import { verifyByLink } from '../../src/domain/verify-address.js';
import { isLive } from '../../src/domain/verification-record.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import { logFieldsOf, requestLog, type LoggedContext } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { ACTIONS } from './actions.js';
import { verificationPage, type PageState } from './verification-page.js';

export const API_VERSION = '2018-01-29';
export const VERIFICATION_PAGE_PATH = '/email-verification';

type Route = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The Aliyun-style RPC endpoint and the page the mailed link opens. */
export function createRpcHandler(deps: ServiceDependencies) {
  /** Parse, authenticate, claim the nonce, dispatch: every failure answered in Aliyun's error shape. */
  const rpc: Route = async (event, context) => {
    const requestId = event.requestContext.requestId;
    const hostId = event.requestContext.domainName ?? event.headers?.Host ?? event.headers?.host ?? '';
    // Until the request parses, a client that asked for JSON in the query still gets JSON.
    let format: ResponseFormat = event.queryStringParameters?.Format?.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
    try {
      const request = parseRpcRequest(event);
      format = responseFormatFor(request);
      const now = deps.clock();
      const caller = await authenticateRpcRequest(request, {
        lookupSecret: (accessKeyId) => deps.secrets.rpcAccessKeys.get(accessKeyId),
        now: new Date(now),
        toleranceSeconds: deps.config.rpc.timestampToleranceSeconds,
      });
      const actionName = request.params.Action ?? '';
      Object.assign(logFieldsOf(context), { accessKeyId: caller.accessKeyId, action: actionName });
      if (!(await deps.nonces.claim(caller.accessKeyId, caller.nonce, now, caller.nonceExpiresAt.getTime()))) {
        throw signatureNonceUsed();
      }
      if (request.params.Version !== API_VERSION) throw invalidVersion();
      const action = Object.hasOwn(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
      if (!action) throw invalidActionNotFound();
      const result = await action(deps, {
        params: request.params,
        accessKeyId: caller.accessKeyId,
        requestId,
        publicBaseUrl: deps.config.publicBaseUrl ?? `https://${hostId}/${event.requestContext.stage}`,
        logFields: logFieldsOf(context),
      });
      return renderRpcBody(`${actionName}Response`, result.body, format, {
        ...(result.listItemNames ? { listItemNames: result.listItemNames } : {}),
      });
    } catch (error) {
      const rpcError = isRpcRequestError(error) ? error : internalError(error);
      logFieldsOf(context).code = rpcError.code;
      if (!isRpcRequestError(error)) logFieldsOf(context).cause = error instanceof Error ? error.message : String(error);
      return renderRpcError(rpcError, { requestId, hostId, format });
    }
  };

  /** GET only shows a confirm button, so a scanner prefetching the link verifies nothing. */
  const showPage: Route = async (event, context) => {
    const token = event.queryStringParameters?.token ?? '';
    const lang = parseLang(event.queryStringParameters?.lang) ?? 'en';
    return verificationPage(await pageStateBeforeConfirm(token, context), lang, token);
  };

  const confirmPage: Route = async (event, context) => {
    const form = new Map(parseFormBody(event));
    const lang: Lang = parseLang(form.get('lang')) ?? 'en';
    const state = await pageOutcome(async () => {
      const claims = await deps.linkTokens.read(form.get('token') ?? '', deps.clock());
      logFieldsOf(context).email = maskEmail(claims.address);
      await verifyByLink(deps.verify, claims, event.requestContext.identity.sourceIp);
      return 'verified';
    });
    logFieldsOf(context).page = state;
    return verificationPage(state, lang);
  };

  async function pageStateBeforeConfirm(token: string, context: Context): Promise<PageState> {
    const state = await pageOutcome(async () => {
      const claims = await deps.linkTokens.read(token, deps.clock());
      logFieldsOf(context).email = maskEmail(claims.address);
      const record = await deps.store.find(claims.key);
      if (!isLive(record, deps.clock())) return 'not-found';
      return record.status === 'verified' ? 'already-verified' : 'confirm';
    });
    logFieldsOf(context).page = state;
    return state;
  }

  const routes = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes: [
      { method: 'GET', path: '/', handler: rpc },
      { method: 'POST', path: '/', handler: rpc },
      { method: 'GET', path: VERIFICATION_PAGE_PATH, handler: showPage },
      { method: 'POST', path: VERIFICATION_PAGE_PATH, handler: confirmPage },
    ],
    notFoundResponse: () => verificationPage('invalid', 'en'),
  });

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(requestLog('rpc', deps.config.logLevel))
    .handler(routes);
}

/** What a page says for the outcome of `work`, or for the error it threw. */
async function pageOutcome(work: () => Promise<PageState>): Promise<PageState> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExpiredTokenError) return 'expired';
    if (error instanceof InvalidTokenError) return 'invalid';
    if (error instanceof AlreadyVerifiedError) return 'already-verified';
    if (error instanceof VerificationNotFoundError) return 'not-found';
    return 'unavailable';
  }
}

function parseFormBody(event: APIGatewayProxyEvent): Array<[string, string]> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  try {
    return parseFormUrlEncoded(raw.slice(0, 8192));
  } catch {
    return [];
  }
}
