import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routesOf, type ApiName, type RouteNameOf } from '../routes.js';

export type ProxyRoute = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Dispatches one function's routes by method and API Gateway resource path. The resource path
 * is the route as declared, whatever is in front of it: `event.path` carries a custom domain's
 * base path and would miss every route there.
 */
export function routeRequests<A extends ApiName>(
  api: A,
  handlers: Readonly<Record<RouteNameOf<A>, ProxyRoute>>,
  notFound: ProxyRoute,
): ProxyRoute {
  const table = new Map<string, ProxyRoute>();
  for (const [name, route] of routesOf(api)) table.set(`${route.method} ${route.path}`, handlers[name]);
  return (event, context) => (table.get(`${event.httpMethod} ${event.resource}`) ?? notFound)(event, context);
}
