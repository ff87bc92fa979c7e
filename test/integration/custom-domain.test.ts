/**
 * Behind a custom domain with a base path (and PUBLIC_BASE_URL unset): the real RPC handler is
 * reached on its resource path and mails a link under the custom domain and base path, never the
 * stage; on the execute-api domain the link keeps the stage. Events as API Gateway sends them.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES } from '../../lambdas/routes.js';
import { createRpcHandler } from '../../lambdas/rpc/rpc-api.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { buildProxyEvent } from '../../local/proxy-event.js';
import { freshAddress } from '../support/fresh-address.js';
import { encodeRpcParams, signRpcParams, startRpcTestApi, type RpcTestApi } from '../support/rpc-clients.js';
import { extractLink, waitForMailTo } from '../support/ses-inbox.js';

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;

let api: RpcTestApi;
let rpc: Handler;
beforeAll(async () => {
  // '' leaves PUBLIC_BASE_URL unset: the link is built from the request.
  api = await startRpcTestApi({ publicBaseUrl: '' });
  expect(api.deps.config.publicBaseUrl).toBeUndefined();
  rpc = createRpcHandler(api.deps) as unknown as Handler;
});
afterAll(() => api.stop());

function submitEvent(address: string, sent: { domainName: string; requestPath: string; path: string }): APIGatewayProxyEvent {
  const params = signRpcParams({ Action: 'SubmitEmailVerification', Email: address, Format: 'JSON' }, { key: api.key, method: 'POST' });
  return buildProxyEvent({
    method: 'POST',
    path: sent.path,
    resource: ROUTES.rpcPost.path,
    requestPath: sent.requestPath,
    stage: 'prod',
    domainName: sent.domainName,
    headers: { Host: sent.domainName, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: encodeRpcParams(params),
  });
}

async function mailedLink(event: APIGatewayProxyEvent, address: string): Promise<URL> {
  const result = await rpc(event, lambdaContext('rpc', 10_000));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body).SuccessList).toHaveLength(1);
  return new URL(extractLink(await waitForMailTo(address)));
}

test('custom domain with base path /auth: the link is https://<domain>/auth/email-verification', async () => {
  const address = freshAddress('custom-domain');
  const link = await mailedLink(submitEvent(address, { domainName: 'id.example.org', path: '/auth/', requestPath: '/auth/' }), address);
  expect(`${link.origin}${link.pathname}`).toBe(`https://id.example.org/auth${ROUTES.showVerificationPage.path}`);
  expect(link.searchParams.get('token')).toBeTruthy();
  // The link's page is reached the same way: base path in the path, the declared resource.
  const page = await rpc(
    buildProxyEvent({
      method: 'GET',
      path: link.pathname,
      query: link.search,
      resource: ROUTES.showVerificationPage.path,
      requestPath: link.pathname,
      domainName: 'id.example.org',
    }),
    lambdaContext('rpc', 10_000),
  );
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('<form method="post"');
});

test('execute-api domain: the link keeps the stage', async () => {
  const address = freshAddress('execute-api');
  const domainName = 'abc123.execute-api.eu-west-1.amazonaws.com';
  const link = await mailedLink(submitEvent(address, { domainName, path: '/', requestPath: '/prod/' }), address);
  expect(`${link.origin}${link.pathname}`).toBe(`https://${domainName}/prod${ROUTES.showVerificationPage.path}`);
});

test('PUBLIC_BASE_URL ending in / (as the ApiUrl output does): the link has no double slash', async () => {
  const withBase = await startRpcTestApi({ publicBaseUrl: 'https://verify.example.org/prod/' });
  try {
    const handler = createRpcHandler(withBase.deps) as unknown as Handler;
    const address = freshAddress('public-base-url');
    const params = signRpcParams({ Action: 'SubmitEmailVerification', Email: address, Format: 'JSON' }, { key: withBase.key, method: 'POST' });
    const result = await handler(
      buildProxyEvent({
        method: 'POST',
        path: '/',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: encodeRpcParams(params),
      }),
      lambdaContext('rpc', 10_000),
    );
    expect(result.statusCode).toBe(200);
    const link = extractLink(await waitForMailTo(address));
    expect(link.startsWith(`https://verify.example.org/prod${ROUTES.showVerificationPage.path}?token=`)).toBe(true);
    expect(new URL(link).pathname).not.toContain('//');
  } finally {
    await withBase.stop();
  }
});
