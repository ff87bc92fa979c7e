import { ROUTES } from '../routes.js';

/**
 * The answer to a method and path the API does not have (a GET on a POST-only route, a typo in
 * the path): 404 with a JSON body that lists the routes. API Gateway gives it as the gateway
 * response that would otherwise be its 403 "Missing Authentication Token", and the local bridge
 * gives the same, so the two cannot disagree.
 */
export const NO_ROUTE_STATUS = 404;

export const NO_ROUTE_BODY = {
  message: 'No route for this method and path. The routes are listed in "routes".',
  routes: Object.values(ROUTES).map((route) => `${route.method} ${route.path}`),
} as const;
