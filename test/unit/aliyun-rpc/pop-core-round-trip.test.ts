import RPCClient from '@alicloud/pop-core';

import { authenticateRpcRequest } from '../../../src/aliyun-rpc/authenticate.js';
import { parseRpcRequest } from '../../../src/aliyun-rpc/rpc-request.js';
import { startProxyEventServer, type ProxyEventServer } from './support/proxy-event-server.js';
import { referenceHandler, type Exchange } from './support/reference-handler.js';
import { rejection } from './support/rejection.js';

/** pop-core's ROA client has no typings; this is the slice of it the test drives. */
interface RoaClient {
  request(method: string, path: string, query?: object, body?: string, headers?: object): Promise<unknown>;
}
type RoaClientConstructor = new (config: RPCClient.Config) => RoaClient;
const ROAClient = (RPCClient as unknown as { ROAClient: RoaClientConstructor }).ROAClient;

interface ClientError {
  code?: string;
  name?: string;
  message: string;
  data?: Record<string, string>;
}


const SECRETS = { AKID: 'the-secret' };
const PARAMS = { Email: 'a+b@x.com,中文@x.com', Lang: 'zh', Note: "sp ace*~/!'()=&%" };

describe('an unmodified @alicloud/pop-core against the library', () => {
  let server: ProxyEventServer;
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    server = await startProxyEventServer(referenceHandler(SECRETS, exchanges));
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    exchanges.length = 0;
  });

  function client(accessKeyId = 'AKID', accessKeySecret = 'the-secret'): RPCClient {
    return new RPCClient({ accessKeyId, accessKeySecret, endpoint: server.endpoint, apiVersion: '2018-01-29' });
  }

  /** The one exchange a call made, parsed and authenticated again with another secret. */
  async function refusedWithWrongSecret(exchange: Exchange | undefined) {
    const request = parseRpcRequest(exchange!.event);
    return rejection<ClientError>(authenticateRpcRequest(request, { lookupSecret: () => 'not-the-secret', now: new Date() }));
  }

  test.each(['GET', 'POST'])('%s: accepted, parameters decoded, refused under a wrong secret', async (method) => {
    const response = await client().request<{ RequestId: string; Echo: Record<string, string> }>(
      'ResendEmailVerification',
      PARAMS,
      method === 'POST' ? { method: 'POST' } : {},
    );

    expect(exchanges).toHaveLength(1);
    const [exchange] = exchanges;
    expect(exchange?.error).toBeUndefined();
    expect(exchange?.caller).toMatchObject({ accessKeyId: 'AKID', nonce: exchange?.request?.params.SignatureNonce });
    expect(exchange?.request?.params).toMatchObject({ ...PARAMS, Action: 'ResendEmailVerification', Version: '2018-01-29', Format: 'JSON' });
    expect(exchange?.request?.params.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(response.RequestId).toBe('req-ok');
    expect(response.Echo.Email).toBe(PARAMS.Email);

    if (method === 'POST') {
      // Everything travels in the form body; the URL carries no query at all.
      expect(exchange?.event.queryStringParameters).toBeNull();
      expect(exchange?.request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(exchange?.request?.form.Signature).toBeDefined();
    } else {
      expect(exchange?.request?.query.Signature).toBeDefined();
      expect(exchange?.request?.rawBody.length).toBe(0);
      expect(exchange?.request?.form).toEqual({});
    }
    expect(exchange?.request?.authScheme).toBe('v1');

    const refused = await refusedWithWrongSecret(exchange);
    expect(refused.code).toBe('SignatureDoesNotMatch');
  });

  test.each(['GET', 'POST'])('%s under a wrong secret: pop-core throws with our code and message', async (method) => {
    const error = await rejection<ClientError>(
      client('AKID', 'wrong').request('ResendEmailVerification', PARAMS, method === 'POST' ? { method: 'POST' } : {}),
    );
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.name).toBe('SignatureDoesNotMatchError');
    expect(error.data?.Message).toContain(`server string to sign is:${method}&%2F&AccessKeyId%3DAKID`);
    expect(error.data?.RequestId).toBe('req-failed');
  });

  test('an unknown access key makes pop-core throw InvalidAccessKeyId.NotFound', async () => {
    const error = await rejection<ClientError>(client('NOBODY').request('ResendEmailVerification', PARAMS));
    expect(error.code).toBe('InvalidAccessKeyId.NotFound');
  });

  test('pop-core reads our XML error through its own xml2js parse and throws with our code', async () => {
    // pop-core parses XML only in its ROA client (its RPC client always JSON-parses). Its
    // request carries no RPC signature, so the library answers MissingParameter, in XML
    // because no Format was asked for.
    const roa = new ROAClient({ accessKeyId: 'AKID', accessKeySecret: 'the-secret', endpoint: server.endpoint, apiVersion: '2018-01-29' });
    const error = await rejection<ClientError>(roa.request('GET', '/', {}, '', {}));
    expect(exchanges[0]?.response.headers['Content-Type']).toBe('text/xml;charset=utf-8');
    expect(error.code).toBe('MissingParameter');
    expect(error.message).toBe(
      'The input parameter "AccessKeyId" that is mandatory for processing this request is not supplied. hostid: 127.0.0.1, requestid: req-failed',
    );
  });

  test("pop-core's RPC client cannot read XML success bodies: Format=XML fails in its JSON parse", async () => {
    const error = await rejection<ClientError>(client().request('ResendEmailVerification', { ...PARAMS, Format: 'XML' }));
    expect(exchanges[0]?.caller?.accessKeyId).toBe('AKID');
    expect(exchanges[0]?.response.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><ResendEmailVerificationResponse>/);
    expect(error.name).toBe('SyntaxError');
    expect(error.code).toBeUndefined();
  });
});
