import { XMLParser } from 'fast-xml-parser';

import {
  invalidAccessKeyIdNotFound,
  missingParameter,
  RpcRequestError,
  signatureDoesNotMatch,
} from '../../../src/aliyun-rpc/rpc-errors.js';
import {
  answerFormatOf,
  parseResponseFormat,
  renderRpcBody,
  renderRpcError,
  responseFormatFor,
} from '../../../src/aliyun-rpc/rpc-response.js';
import { escapeXmlText } from '../../../src/aliyun-rpc/xml-text.js';
import { parseRpcRequest } from '../../../src/aliyun-rpc/rpc-request.js';
import { buildProxyEvent } from '../../../local/proxy-event.js';

const LIST_ITEMS = { SuccessList: 'SendResult', FailList: 'SendResult', ExistList: 'SendResult' };
const BODY = {
  RequestId: '0EA54E99-DB48-4CE3-A099-6ED8E451B8AC',
  SuccessList: [{ Email: 'b@x.com', Code: 'Success', Message: 'Success' }],
  FailList: [
    { Email: 'a@x.com', Code: 'SendTokenQuotaExceeded', Message: 'The maximum number of attempts allowed to send the email verification link is exceeded.' },
    { Email: 'c<&>"\'@x.com', Code: 'ParameterIllegall', Message: 'Parameter error' },
  ],
  ExistList: [],
};

// htmlEntities: fast-xml-parser leaves numeric character references alone without it.
const parser = new XMLParser({ isArray: (name) => name === 'SendResult', parseTagValue: false, htmlEntities: true });

describe('response format', () => {
  test.each([
    [undefined, 'XML'],
    ['', 'XML'],
    ['JSON', 'JSON'],
    ['json', 'JSON'],
    ['Xml', 'XML'],
  ])('Format=%j -> %s', (value, expected) => {
    expect(parseResponseFormat(value)).toBe(expected);
  });

  test('refuses any other Format as InvalidParameter', () => {
    expect(() => parseResponseFormat('YAML')).toThrow(expect.objectContaining({ code: 'InvalidParameter', message: expect.stringContaining('"Format"') }));
  });

  test('answers ACS3 requests without Format in JSON, v1 ones in XML', () => {
    expect(responseFormatFor({ params: {}, authScheme: 'acs3' })).toBe('JSON');
    expect(responseFormatFor({ params: {}, authScheme: 'v1' })).toBe('XML');
    expect(responseFormatFor({ params: { Format: 'xml' }, authScheme: 'acs3' })).toBe('XML');
    expect(responseFormatFor({ params: { Format: 'json' }, authScheme: 'v1' })).toBe('JSON');
  });

  test('picks the format of any answer without throwing, XML when nothing better is known', () => {
    const acs3 = { Authorization: 'ACS3-HMAC-SHA256 Credential=AKID' };
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    expect(answerFormatOf(buildProxyEvent({ method: 'GET', path: '/', query: { Format: 'json' } }))).toBe('JSON');
    expect(answerFormatOf(buildProxyEvent({ method: 'GET', path: '/', headers: acs3 }))).toBe('JSON');
    expect(answerFormatOf(buildProxyEvent({ method: 'GET', path: '/', query: { Format: 'YAML' }, headers: acs3 }))).toBe('XML');
    expect(answerFormatOf(buildProxyEvent({ method: 'GET', path: '/' }))).toBe('XML');
    // A body that does not parse as a request (a repeated parameter) still names its format.
    const unparsable = buildProxyEvent({ method: 'POST', path: '/', headers: form, body: 'Format=JSON&Email=a&Email=b' });
    expect(() => parseRpcRequest(unparsable)).toThrow(expect.objectContaining({ code: 'InvalidParameter' }));
    expect(answerFormatOf(unparsable)).toBe('JSON');
    // Only a form body is read for it.
    expect(answerFormatOf(buildProxyEvent({ method: 'POST', path: '/', headers: { 'Content-Type': 'text/plain' }, body: 'Format=JSON' }))).toBe('XML');
  });
});

describe('renderRpcBody', () => {
  test('renders JSON as given, PascalCase keys and all', () => {
    const response = renderRpcBody('ResendEmailVerificationResponse', BODY, 'JSON', { listItemNames: LIST_ITEMS });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'Content-Type': 'application/json;charset=utf-8' });
    expect(JSON.parse(response.body)).toEqual(BODY);
  });

  test('renders XML with a declaration, wrapped list items and an empty list', () => {
    const response = renderRpcBody('ResendEmailVerificationResponse', BODY, 'XML', { listItemNames: LIST_ITEMS });
    expect(response.headers).toEqual({ 'Content-Type': 'text/xml;charset=utf-8' });
    expect(response.body.startsWith('<?xml version="1.0" encoding="UTF-8"?><ResendEmailVerificationResponse>')).toBe(true);
    expect(response.body).toContain(
      '<SuccessList><SendResult><Email>b@x.com</Email><Code>Success</Code><Message>Success</Message></SendResult></SuccessList>',
    );
    expect(response.body).toContain('<ExistList/>');
    expect(response.body).toContain('<Email>c&lt;&amp;&gt;&quot;&apos;@x.com</Email>');

    const parsed = parser.parse(response.body) as Record<string, any>;
    const root = parsed.ResendEmailVerificationResponse;
    expect(root.RequestId).toBe(BODY.RequestId);
    expect(root.SuccessList.SendResult).toEqual(BODY.SuccessList);
    expect(root.FailList.SendResult).toEqual(BODY.FailList);
    expect(root.ExistList).toBe('');
    expect(root.Code).toBeUndefined();
  });

  test('repeats the list element for a list without an item name', () => {
    const response = renderRpcBody('R', { Items: ['a', 'b'] }, 'XML');
    expect(response.body).toBe('<?xml version="1.0" encoding="UTF-8"?><R><Items>a</Items><Items>b</Items></R>');
  });

  test('renders nested objects, numbers, booleans and null; omits undefined', () => {
    const response = renderRpcBody('R', { A: { B: 1, C: true }, D: null, E: undefined }, 'XML');
    expect(response.body).toBe('<?xml version="1.0" encoding="UTF-8"?><R><A><B>1</B><C>true</C></A><D/></R>');
  });

  test('drops characters XML 1.0 cannot carry and keeps the rest parseable', () => {
    const response = renderRpcBody('R', { Email: 'a\u0000b\u0008c\uffffd\ud800e\r\nf\t😀' }, 'XML');
    expect(response.body).toContain('<Email>abcde&#13;\nf\t😀</Email>');
    expect((parser.parse(response.body) as Record<string, any>).R.Email).toBe('abcde\r\nf\t😀');
  });

  test('refuses a top-level Code, which clients would read as an error', () => {
    expect(() => renderRpcBody('R', { Code: 'Success' }, 'JSON')).toThrow(TypeError);
  });

  test('refuses names that are not XML names', () => {
    expect(() => renderRpcBody('Bad Root', {}, 'XML')).toThrow(TypeError);
    expect(() => renderRpcBody('R', { '1st': 'x' }, 'XML')).toThrow(TypeError);
  });
});

describe('renderRpcError', () => {
  const context = { requestId: 'req-1', hostId: 'rpc.example.com' };

  test('renders JSON with every field and the error status', () => {
    const response = renderRpcError(invalidAccessKeyIdNotFound(), { ...context, format: 'JSON' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['Content-Type']).toBe('application/json;charset=utf-8');
    expect(JSON.parse(response.body)).toEqual({
      RequestId: 'req-1',
      HostId: 'rpc.example.com',
      Code: 'InvalidAccessKeyId.NotFound',
      Message: 'Specified access key is not found.',
      Recommend: '',
    });
  });

  test('renders XML under <Error>, escaping the message', () => {
    const error = signatureDoesNotMatch('GET&%2F&A%3D<b>');
    const response = renderRpcError(error, { ...context, format: 'XML' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['Content-Type']).toBe('text/xml;charset=utf-8');
    expect(response.body.startsWith('<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>req-1</RequestId>')).toBe(true);
    expect(parser.parse(response.body)).toEqual({
      '?xml': '',
      Error: {
        RequestId: 'req-1',
        HostId: 'rpc.example.com',
        Code: 'SignatureDoesNotMatch',
        Message: error.message,
        Recommend: '',
      },
    });
  });

  test('carries a recommendation when the error has one', () => {
    const error = new RpcRequestError('Throttling.User', { recommend: 'https://example.com/limits' });
    const body = JSON.parse(renderRpcError(error, { ...context, format: 'JSON' }).body) as Record<string, string>;
    expect(body).toMatchObject({ Code: 'Throttling.User', Recommend: 'https://example.com/limits', Message: 'Request was denied due to user flow control.' });
  });

  test('names the missing parameter as Aliyun does', () => {
    const body = JSON.parse(renderRpcError(missingParameter('Email'), { ...context, format: 'JSON' }).body) as Record<string, string>;
    expect(body.Message).toBe('The input parameter "Email" that is mandatory for processing this request is not supplied.');
  });
});

describe('escapeXmlText', () => {
  test('escapes the five markup characters', () => {
    expect(escapeXmlText(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&apos;');
  });
});
