import {
  answerFormatOf,
  authenticateRpcRequest,
  internalError,
  invalidActionNotFound,
  invalidVersion,
  isRpcRequestError,
  parseRpcRequest,
  renderRpcBody,
  renderRpcError,
  responseFormatFor,
  signatureNonceUsed,
  type AuthenticatedCaller,
  type RpcRequest,
} from '../../src/aliyun-rpc/index.js';
import { observationOf, type LogFields } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { headerValue } from '../http/headers.js';
import type { ProxyRoute } from '../http/router.js';
import { ACTIONS } from './actions.js';
import { countRpcRejection } from './rpc-metrics.js';
import { requestErrorOf } from './rpc-error-mapping.js';
import { requestBaseUrl } from './verification-link.js';

export const API_VERSION = '2018-01-29';

/**
 * The signed RPC endpoint: parse, authenticate, claim the nonce, dispatch. Every answer, errors
 * included, is in the format the request asked for, and every failure in Aliyun's error shape.
 */
export function createRpcEndpoint(deps: ServiceDependencies): ProxyRoute {
  return async (event, context) => {
    const requestId = event.requestContext.requestId;
    const hostId = event.requestContext.domainName ?? headerValue(event, 'host') ?? '';
    const format = answerFormatOf(event);
    const observation = observationOf(context);
    const { logFields } = observation;
    try {
      const request = parseRpcRequest(event);
      // Refuses a Format that is neither JSON nor XML.
      responseFormatFor(request);
      const caller = await admit(deps, request, logFields);
      const actionName = request.params.Action ?? '';
      if (request.params.Version !== API_VERSION) throw invalidVersion();
      const action = Object.hasOwn(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
      if (!action) throw invalidActionNotFound();
      const result = await action(deps, {
        params: request.params,
        accessKeyId: caller.accessKeyId,
        requestId,
        publicBaseUrl: deps.config.publicBaseUrl ?? requestBaseUrl(event),
        observation,
      });
      return renderRpcBody(`${actionName}Response`, result.body, format, {
        ...(result.listItemNames ? { listItemNames: result.listItemNames } : {}),
      });
    } catch (error) {
      const rpcError = isRpcRequestError(error) ? error : (requestErrorOf(error) ?? internalError(error));
      logFields.code = rpcError.code;
      countRpcRejection(observation.metrics, rpcError.code);
      if (rpcError.code === 'InternalError') logFields.cause = error instanceof Error ? error.message : String(error);
      return renderRpcError(rpcError, { requestId, hostId, format });
    }
  };
}

/** Authenticates the caller and claims its nonce, which is single-use per access key. */
async function admit(deps: ServiceDependencies, request: RpcRequest, logFields: LogFields): Promise<AuthenticatedCaller> {
  const now = deps.clock();
  const caller = await authenticateRpcRequest(request, {
    lookupSecret: (accessKeyId) => deps.secrets.rpcAccessKeys.get(accessKeyId),
    now: new Date(now),
  });
  Object.assign(logFields, { accessKeyId: caller.accessKeyId, action: request.params.Action ?? '' });
  if (!(await deps.nonces.claim(caller.accessKeyId, caller.nonce, now, caller.nonceExpiresAt.getTime()))) {
    throw signatureNonceUsed();
  }
  return caller;
}
