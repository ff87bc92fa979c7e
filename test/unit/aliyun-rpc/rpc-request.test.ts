import { parseRpcRequest } from '../../../src/aliyun-rpc/rpc-request.js';
import { buildProxyEvent } from '../../../local/proxy-event.js';
import { proxyEvent, withHeaders, withQuery } from './support/events.js';

const FORM = 'application/x-www-form-urlencoded';
const ACS3_AUTH = `ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;x-acs-action,Signature=${'0'.repeat(64)}`;

function errorOf(run: () => unknown): { code?: string; message?: string; httpStatus?: number } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string; httpStatus: number };
  }
  throw new Error('expected a throw');
}

describe('parseRpcRequest', () => {
  test('reads a v1 GET: decoded query, lower-cased headers, source IP', () => {
    const request = parseRpcRequest(
      proxyEvent({ ...withQuery({ Action: 'ResendEmailVerification', Email: 'a@x.com' }), ...withHeaders({ 'X-Custom': 'v' }) }),
    );
    expect(request.authScheme).toBe('v1');
    expect(request.method).toBe('GET');
    expect({ ...request.params }).toEqual({ Action: 'ResendEmailVerification', Email: 'a@x.com' });
    expect(request.headers['x-custom']).toBe('v');
    expect(request.sourceIp).toBe('198.51.100.7');
    expect(request.rawBody.length).toBe(0);
  });

  test('merges a form body with the query and decodes %20, + and UTF-8', () => {
    const request = parseRpcRequest(
      proxyEvent({
        httpMethod: 'post',
        ...withQuery({ Action: 'A' }),
        ...withHeaders({ 'Content-Type': `${FORM}; charset=UTF-8` }),
        body: 'Email=a%2Bb%40x.com&Note=one+two%20three&Name=%E4%B8%AD&Flag',
      }),
    );
    expect(request.method).toBe('POST');
    expect({ ...request.params }).toEqual({ Action: 'A', Email: 'a+b@x.com', Note: 'one two three', Name: '中', Flag: '' });
    expect({ ...request.form }).toEqual({ Email: 'a+b@x.com', Note: 'one two three', Name: '中', Flag: '' });
    expect({ ...request.query }).toEqual({ Action: 'A' });
  });

  test('decodes a base64-encoded body', () => {
    const body = Buffer.from('Action=A&Email=%E4%B8%AD%40x.com').toString('base64');
    const request = parseRpcRequest(
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': FORM }), body, isBase64Encoded: true }),
    );
    expect(request.params.Email).toBe('中@x.com');
    expect(request.rawBody.toString('utf8')).toBe('Action=A&Email=%E4%B8%AD%40x.com');
  });

  test('finds headers whatever their case, from either of API Gateway maps', () => {
    const post = { httpMethod: 'POST', body: 'A=1' };
    const onlySingle = parseRpcRequest(proxyEvent({ ...post, headers: { 'CONTENT-TYPE': FORM }, multiValueHeaders: {} }));
    expect(onlySingle.params.A).toBe('1');
    const onlyMulti = parseRpcRequest(proxyEvent({ ...post, headers: {}, multiValueHeaders: { 'Content-type': [FORM] } }));
    expect(onlyMulti.headers['content-type']).toBe(FORM);
    // The multi-value map is the complete one when both carry a name.
    const both = parseRpcRequest(proxyEvent({ headers: { Accept: 'b' }, multiValueHeaders: { accept: ['a', 'b'] } }));
    expect(both.headers.accept).toBe('a, b');
  });

  test('reads the query from either of API Gateway maps', () => {
    expect(parseRpcRequest(proxyEvent({ queryStringParameters: { A: '1' } })).params.A).toBe('1');
    expect(parseRpcRequest(proxyEvent({ multiValueQueryStringParameters: { A: ['1'] } })).params.A).toBe('1');
  });

  test('takes query values as API Gateway decodes them: + is a space, %2B a plus', () => {
    const event = buildProxyEvent({ method: 'GET', path: '/', query: 'Note=one+two&Email=a%2Bb%40x.com' });
    expect(event.queryStringParameters).toEqual({ Note: 'one two', Email: 'a+b@x.com' });
    expect({ ...parseRpcRequest(event).params }).toEqual({ Note: 'one two', Email: 'a+b@x.com' });
  });

  test('keeps a parameter named like an Object.prototype member as plain data', () => {
    const request = parseRpcRequest(proxyEvent(withQuery(JSON.parse('{"constructor":"x","__proto__":"y"}') as Record<string, string>)));
    expect(request.params.constructor).toBe('x');
    expect(Object.keys(request.params)).toContain('__proto__');
    expect(request.params['__proto__']).toBe('y');
    expect(request.params.toString).toBeUndefined();
  });

  test.each([
    ['a repeated query parameter', proxyEvent({ multiValueQueryStringParameters: { Email: ['a@x.com', 'b@x.com'] } }), 'InvalidParameter', 'Email'],
    [
      'a parameter in both query and body',
      proxyEvent({ httpMethod: 'POST', ...withQuery({ Email: 'a' }), ...withHeaders({ 'content-type': FORM }), body: 'Email=b' }),
      'InvalidParameter',
      'Email',
    ],
    [
      'a repeated body parameter',
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': FORM }), body: 'Email=a&Email=a' }),
      'InvalidParameter',
      'Email',
    ],
    [
      'a malformed escape',
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': FORM }), body: 'Email=%E4%B8' }),
      'InvalidParameter',
      'percent-encoded UTF-8',
    ],
    [
      'a stray percent sign',
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': FORM }), body: 'Email=100%' }),
      'InvalidParameter',
      'percent-encoded UTF-8',
    ],
    [
      'raw bytes that are not UTF-8',
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': FORM }), body: Buffer.from([0x41, 0x3d, 0xff]).toString('base64'), isBase64Encoded: true }),
      'InvalidParameter',
      'percent-encoded UTF-8',
    ],
    [
      'a JSON body',
      proxyEvent({ httpMethod: 'POST', ...withHeaders({ 'content-type': 'application/json' }), body: '{"Email":"a"}' }),
      'InvalidParameter',
      'Content-Type',
    ],
    [
      'a repeated security header',
      proxyEvent({ headers: { 'x-acs-date': 'b' }, multiValueHeaders: { 'X-Acs-Date': ['a'], 'x-acs-date': ['b'] } }),
      'InvalidParameter',
      'x-acs-date',
    ],
    ['a PUT', proxyEvent({ httpMethod: 'PUT' }), 'UnsupportedHTTPMethod', 'not supported'],
    [
      'a malformed ACS3 Authorization',
      proxyEvent(withHeaders({ Authorization: 'ACS3-HMAC-SHA256 Credential=AKID' })),
      'IncompleteSignature',
      'Authorization',
    ],
  ])('refuses %s', (_, event, code, inMessage) => {
    const error = errorOf(() => parseRpcRequest(event));
    expect(error.code).toBe(code);
    expect(error.message).toContain(inMessage);
  });

  test('joins a repeated ordinary header instead of refusing it', () => {
    const request = parseRpcRequest(proxyEvent({ headers: {}, multiValueHeaders: { Accept: ['a', 'b'] } }));
    expect(request.headers.accept).toBe('a, b');
  });

  test('normalises ACS3 headers into the common parameters', () => {
    const request = parseRpcRequest(
      proxyEvent({
        httpMethod: 'POST',
        ...withQuery({ Email: 'a@x.com' }),
        ...withHeaders({
          Authorization: ACS3_AUTH,
          'x-acs-action': 'ResendEmailVerification',
          'x-acs-version': '2018-01-29',
          'x-acs-signature-nonce': 'n-1',
          'x-acs-date': '2024-05-01T10:00:00Z',
        }),
      }),
    );
    expect(request.authScheme).toBe('acs3');
    expect({ ...request.params }).toEqual({
      Email: 'a@x.com',
      Action: 'ResendEmailVerification',
      Version: '2018-01-29',
      SignatureNonce: 'n-1',
      Timestamp: '2024-05-01T10:00:00Z',
      AccessKeyId: 'AKID',
    });
    // What the signature covers stays as received.
    expect({ ...request.query }).toEqual({ Email: 'a@x.com' });
  });

  test('refuses an ACS3 parameter that contradicts its header, accepts one that agrees', () => {
    const event = (action: string) =>
      proxyEvent({ ...withQuery({ Action: action }), ...withHeaders({ Authorization: ACS3_AUTH, 'x-acs-action': 'Real' }) });
    expect(errorOf(() => parseRpcRequest(event('Other'))).code).toBe('InvalidParameter');
    expect(parseRpcRequest(event('Real')).params.Action).toBe('Real');
  });

  test('treats a non-ACS3 Authorization header as no ACS3 signature', () => {
    const request = parseRpcRequest(proxyEvent(withHeaders({ Authorization: 'acs AKID:sig', 'x-acs-action': 'A' })));
    expect(request.authScheme).toBe('v1');
    expect(request.params.Action).toBeUndefined();
  });

  test('offers the client-facing path first when a stage prefix hides it', () => {
    const request = parseRpcRequest(proxyEvent({ path: '/', requestContext: { path: '/prod/', identity: { sourceIp: '1.2.3.4' } } }));
    expect(request.pathCandidates).toEqual(['/prod/', '/']);
  });
});
