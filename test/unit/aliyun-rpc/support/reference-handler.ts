import { authenticateRpcRequest, type AuthenticatedCaller } from '../../../../src/aliyun-rpc/authenticate.js';
import { isRpcRequestError, RpcRequestError } from '../../../../src/aliyun-rpc/rpc-errors.js';
import { parseRpcRequest, type RpcProxyEvent, type RpcRequest } from '../../../../src/aliyun-rpc/rpc-request.js';
import {
  answerFormatOf,
  renderRpcBody,
  renderRpcError,
  responseFormatFor,
  type RpcHttpResponse,
} from '../../../../src/aliyun-rpc/rpc-response.js';

export interface Exchange {
  readonly event: RpcProxyEvent;
  readonly request?: RpcRequest;
  readonly caller?: AuthenticatedCaller;
  readonly error?: RpcRequestError;
  readonly response: RpcHttpResponse;
}

/**
 * The smallest handler the library is meant for: parse, authenticate, answer with an echo of
 * the parameters. Every exchange is recorded for the test to inspect.
 */
export function referenceHandler(secrets: Readonly<Record<string, string>>, exchanges: Exchange[]) {
  return async (event: RpcProxyEvent): Promise<RpcHttpResponse> => {
    let request: RpcRequest | undefined;
    try {
      request = parseRpcRequest(event);
      const caller = await authenticateRpcRequest(request, {
        lookupSecret: (id) => secrets[id],
        now: new Date(),
        toleranceSeconds: 900,
      });
      const response = renderRpcBody(
        `${request.params.Action ?? ''}Response`,
        { RequestId: 'req-ok', Echo: { ...request.params } },
        responseFormatFor(request),
      );
      exchanges.push({ event, request, caller, response });
      return response;
    } catch (error) {
      if (!isRpcRequestError(error)) throw error;
      const response = renderRpcError(error, {
        requestId: 'req-failed',
        hostId: '127.0.0.1',
        format: answerFormatOf(event),
      });
      exchanges.push({ event, ...(request ? { request } : {}), error, response });
      return response;
    }
  };
}
