import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { routeRequests, type ProxyRoute } from '../../../lambdas/http/router.js';
import { ROUTES } from '../../../lambdas/routes.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { buildProxyEvent } from '../../../local/proxy-event.js';

const answer = (name: string): ProxyRoute => async () => ({ statusCode: 200, body: name });
const notFound: ProxyRoute = async () => ({ statusCode: 404, body: 'not found' });

const iam = routeRequests('iam', { resendCode: answer('resendCode'), verifyCode: answer('verifyCode') }, notFound);
const rpc = routeRequests(
  'rpc',
  {
    rpcGet: answer('rpcGet'),
    rpcPost: answer('rpcPost'),
    showVerificationPage: answer('showVerificationPage'),
    confirmVerificationPage: answer('confirmVerificationPage'),
  },
  notFound,
);

async function route(handler: ProxyRoute, event: APIGatewayProxyEvent): Promise<string> {
  const result: APIGatewayProxyResult = await handler(event, lambdaContext('test', 10_000));
  return result.body;
}

/** The event API Gateway sends behind a custom domain whose base path mapping is `basePath`. */
function behindCustomDomain(method: string, declared: string, basePath: string): APIGatewayProxyEvent {
  const sent = `/${basePath}${declared === '/' ? '/' : declared}`;
  return buildProxyEvent({
    method,
    path: sent,
    resource: declared,
    requestPath: sent,
    domainName: 'id.example.org',
    headers: { Host: 'id.example.org' },
  });
}

describe('routing on the resource path', () => {
  test.each(Object.entries(ROUTES))('%s: reached behind a custom domain with a base path', async (name, declared) => {
    const event = behindCustomDomain(declared.method, declared.path, 'auth/v2');
    // What routing on event.path would have missed: the path carries the base path.
    expect(event.path).not.toBe(declared.path);
    expect(event.requestContext.path.startsWith('/auth/v2')).toBe(true);
    expect(await route(declared.api === 'iam' ? iam : rpc, event)).toBe(name);
  });

  test.each(Object.entries(ROUTES))('%s: reached on the execute-api domain with the stage in the path', async (name, declared) => {
    const event = buildProxyEvent({ method: declared.method, path: declared.path, stage: 'prod' });
    expect(event.requestContext.path).toBe(`/prod${declared.path === '/' ? '' : declared.path}`);
    expect(await route(declared.api === 'iam' ? iam : rpc, event)).toBe(name);
  });

  test('a method or resource the function does not serve falls to its not-found route', async () => {
    expect(await route(iam, buildProxyEvent({ method: 'GET', path: ROUTES.resendCode.path }))).toBe('not found');
    expect(await route(iam, buildProxyEvent({ method: 'POST', path: ROUTES.rpcPost.path }))).toBe('not found');
    expect(await route(rpc, buildProxyEvent({ method: 'POST', path: '/auth/', resource: '/auth' }))).toBe('not found');
  });
});
