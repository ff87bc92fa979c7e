import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { requestLog, type LoggedContext } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { requestBudgets } from '../http/request-budget.js';
import { routeRequests } from '../http/router.js';
import { createRpcEndpoint } from './rpc-endpoint.js';
import { verificationPage } from './verification-page.js';
import { createVerificationPageRoutes } from './verification-page-routes.js';

/** The RPC function: the signed Aliyun-style endpoint and the page the mailed link opens. */
export function createRpcHandler(deps: ServiceDependencies) {
  const endpoint = createRpcEndpoint(deps);
  const page = createVerificationPageRoutes(deps);
  const routes = routeRequests(
    'rpc',
    { rpcGet: endpoint, rpcPost: endpoint, showVerificationPage: page.show, confirmVerificationPage: page.confirm },
    async () => verificationPage('invalid', 'en'),
  );
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(requestBudgets())
    .use(requestLog('rpc', deps.config.logLevel))
    .handler(routes);
}
