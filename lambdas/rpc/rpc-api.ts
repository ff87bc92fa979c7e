import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createServiceMetrics } from '../../src/observability/metrics.js';
import { observeRequests, type LoggedContext } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { routeRequests } from '../http/router.js';
import { createRpcEndpoint } from './rpc-endpoint.js';
import { verificationPage } from './verification-page.js';
import { createVerificationPageRoutes, pageLang } from './verification-page-routes.js';

/** The RPC function: the signed Aliyun-style endpoint and the page the mailed link opens. */
export function createRpcHandler(deps: ServiceDependencies) {
  const endpoint = createRpcEndpoint(deps);
  const page = createVerificationPageRoutes(deps);
  const routes = routeRequests(
    'rpc',
    { rpcGet: endpoint, rpcPost: endpoint, showVerificationPage: page.show, confirmVerificationPage: page.confirm },
    async (event) =>
      verificationPage('invalid', {
        lang: pageLang(event, undefined),
        product: deps.config.productName,
        linkLifetimeSeconds: deps.config.otpTtlSeconds,
      }),
  );
  const observers = { logger: deps.logger.createChild({ persistentKeys: { api: 'rpc' } }), metrics: createServiceMetrics('rpc') };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(observeRequests(observers))
    .handler(routes);
}
