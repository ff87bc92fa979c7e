import OpenApi, * as $OpenApi from '@alicloud/openapi-client';
import OpenApiUtil from '@alicloud/openapi-util';

import { authenticateRpcRequest } from '../../../src/aliyun-rpc/authenticate.js';
import { parseRpcRequest } from '../../../src/aliyun-rpc/rpc-request.js';
import { startProxyEventServer, type ProxyEventServer } from './support/proxy-event-server.js';
import { referenceHandler, type Exchange } from './support/reference-handler.js';
import { rejection } from './support/rejection.js';

type TeaClient = InstanceType<typeof OpenApi.default>;
type Runtime = Parameters<TeaClient['callApi']>[2];

interface TeaError {
  code?: string;
  message: string;
  data?: Record<string, unknown>;
}


const SECRETS = { AKID: 'the-secret' };
const PARAMS = { Email: 'a+b@x.com,中文@x.com', Lang: 'zh', Note: "sp ace*~/!'()=&%" };

describe('an unmodified @alicloud/openapi-client (Tea, ACS3-HMAC-SHA256) against the library', () => {
  let server: ProxyEventServer;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    server = await startProxyEventServer(referenceHandler(SECRETS, exchanges));
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    exchanges.length = 0;
  });

  function client(options: { secret?: string; accessKeyId?: string; signatureAlgorithm?: string } = {}): TeaClient {
    return new OpenApi.default(
      new $OpenApi.Config({
        accessKeyId: options.accessKeyId ?? 'AKID',
        accessKeySecret: options.secret ?? 'the-secret',
        protocol: 'http',
        endpoint: server.host,
        ...(options.signatureAlgorithm ? { signatureAlgorithm: options.signatureAlgorithm } : {}),
      }),
    );
  }

  /** What generated Aliyun SDKs pass for an RPC-style operation. */
  function rpcParams(method: 'GET' | 'POST'): $OpenApi.Params {
    return new $OpenApi.Params({
      action: 'ResendEmailVerification',
      version: '2018-01-29',
      protocol: 'HTTP',
      pathname: '/',
      method,
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
  }

  const inQuery = () => new $OpenApi.OpenApiRequest({ query: OpenApiUtil.default.query(PARAMS) });
  const inBody = () => new $OpenApi.OpenApiRequest({ body: PARAMS });
  const runtime = {} as Runtime;

  test.each([
    ['POST', 'query', inQuery],
    ['GET', 'query', inQuery],
    ['POST', 'form body', inBody],
  ] as const)('%s with parameters in the %s: accepted, normalised, refused under a wrong secret', async (method, _, request) => {
    const response = await client().callApi(rpcParams(method), request(), runtime);

    expect(exchanges).toHaveLength(1);
    const [exchange] = exchanges;
    expect(exchange?.error).toBeUndefined();
    expect(exchange?.request?.authScheme).toBe('acs3');
    expect(exchange?.request?.method).toBe(method);
    expect(exchange?.caller).toMatchObject({ accessKeyId: 'AKID' });
    // The common parameters arrive as x-acs-* headers and read like v1 parameters.
    expect(exchange?.request?.params).toMatchObject({
      ...PARAMS,
      Action: 'ResendEmailVerification',
      Version: '2018-01-29',
      AccessKeyId: 'AKID',
      SignatureNonce: exchange?.caller?.nonce,
    });
    expect(exchange?.request?.params.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(exchange?.request?.params.Format).toBeUndefined();
    // No Format, so JSON: what the Tea client reads.
    expect((response.body as { Echo: Record<string, string> }).Echo.Email).toBe(PARAMS.Email);

    const acs3 = exchange?.request?.authScheme === 'acs3' ? exchange.request : undefined;
    const signed = acs3?.authorization.signedHeaders ?? [];
    expect(signed).toEqual(
      expect.arrayContaining([
        'host',
        'x-acs-action',
        'x-acs-content-sha256',
        'x-acs-date',
        'x-acs-signature-nonce',
        'x-acs-version',
        ...(request === inBody ? ['content-type'] : []),
      ]),
    );
    // It signs every x-acs-* header it sends (x-acs-credentials-provider among them).
    const acsHeaders = Object.keys(acs3?.headers ?? {}).filter((name) => name.startsWith('x-acs-'));
    expect(acsHeaders).toContain('x-acs-credentials-provider');
    expect(signed).toEqual(expect.arrayContaining(acsHeaders));
    expect(acs3?.headers['content-type']).toBe(request === inBody ? 'application/x-www-form-urlencoded' : undefined);

    const refused = await rejection<TeaError>(
      authenticateRpcRequest(parseRpcRequest(exchange!.event), { lookupSecret: () => 'not-the-secret', now: new Date() }),
    );
    expect(refused.code).toBe('SignatureDoesNotMatch');
  });

  test('a wrong secret makes the Tea client throw our code, from a JSON error body', async () => {
    const error = await rejection<TeaError>(client({ secret: 'wrong' }).callApi(rpcParams('POST'), inQuery(), runtime));
    expect(exchanges[0]?.error?.code).toBe('SignatureDoesNotMatch');
    expect(exchanges[0]?.response.headers['Content-Type']).toBe('application/json;charset=utf-8');
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).toContain('code: 400, Specified signature is not matched with our calculation.');
  });

  test('the Tea client reads our XML error body and throws our code', async () => {
    const request = new $OpenApi.OpenApiRequest({ query: OpenApiUtil.default.query({ ...PARAMS, Format: 'XML' }) });
    const error = await rejection<TeaError>(client({ accessKeyId: 'NOBODY' }).callApi(rpcParams('POST'), request, runtime));
    expect(exchanges[0]?.error?.code).toBe('InvalidAccessKeyId.NotFound');
    expect(exchanges[0]?.response.headers['Content-Type']).toBe('text/xml;charset=utf-8');
    expect(exchanges[0]?.response.body).toContain('<Error>');
    expect(error.code).toBe('InvalidAccessKeyId.NotFound');
    expect(error.message).toContain('code: 404, Specified access key is not found. request id: req-failed');
  });

  test('the Tea client in its older v1 mode (params in query and form, Format=json) is accepted too', async () => {
    const response = await client({ signatureAlgorithm: 'v2' }).callApi(rpcParams('POST'), inBody(), runtime);
    expect(exchanges[0]?.request?.authScheme).toBe('v1');
    expect(exchanges[0]?.request?.query.Format).toBe('json');
    expect(exchanges[0]?.request?.form.Email).toBe(PARAMS.Email);
    expect((response.body as { Echo: Record<string, string> }).Echo.Lang).toBe('zh');
  });
});
