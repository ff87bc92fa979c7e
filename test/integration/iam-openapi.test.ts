/**
 * The OpenAPI document and its validator: the validator must catch what it is there to catch,
 * and the upstream contract's schemas must stay exactly as upstream has them.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ROUTES } from '../../lambdas/routes.js';
import { expectIamResponse, iamOpenApiDocument, iamResponseProblems } from '../support/openapi-iam.js';

// The document's paths are relative to its `/api/v1` server.
const RESEND = ROUTES.resendCode.path.replace(/^\/api\/v1/, '');
const VERIFY = ROUTES.verifyCode.path.replace(/^\/api\/v1/, '');
const UPSTREAM_DOCUMENT = new URL('../../openapi/upstream/iam-resend-email-verification-code.yaml', import.meta.url);
const JSON_HEADERS = { 'Content-Type': 'application/json' };

describe('openapi/iam-api.yaml', () => {
  test('is OpenAPI 3.0.3 with both IAM operations under a /api/v1 server', () => {
    const document = iamOpenApiDocument();
    expect(document.openapi).toBe('3.0.3');
    expect(document.servers.length).toBeGreaterThan(0);
    for (const server of document.servers) expect(server.url).toMatch(/\/api\/v1$/);
    expect(Object.keys(document.paths).sort()).toEqual([VERIFY, RESEND]);
    expect(Object.keys(document.paths[RESEND]!.post!.responses as object).sort()).toEqual(['201', '401', '429', '500']);
    expect(Object.keys(document.paths[VERIFY]!.post!.responses as object).sort()).toEqual(['200', '400', '401', '415', '429', '500']);
    expect(document.paths[RESEND]!.post!.security).toEqual([{ bearerEmailVerificationToken: [] }]);
    expect(document.paths[VERIFY]!.post!.security).toEqual([{ bearerEmailVerificationToken: [] }]);
  });

  test('keeps the upstream schemas, security scheme and resend operation exactly', () => {
    const document = iamOpenApiDocument();
    const upstream = parse(readFileSync(UPSTREAM_DOCUMENT, 'utf8')) as typeof document;
    for (const name of ['resendEmailVerificationCodeResponse', 'ErrStatusMsg', 'ValidationDetail']) {
      expect(document.components.schemas[name]).toEqual(upstream.components.schemas[name]);
    }
    expect(document.components.securitySchemes).toEqual(upstream.components.securitySchemes);
    const upstreamOperation = upstream.paths[RESEND]!.post!;
    const ours = document.paths[RESEND]!.post!;
    for (const key of ['operationId', 'summary', 'description', 'tags', 'security']) expect(ours[key]).toEqual(upstreamOperation[key]);
    expect(ours.operationId).toBe(ROUTES.resendCode.operationName);
    const upstreamResponses = upstreamOperation.responses as Record<string, { content: unknown }>;
    const ourResponses = ours.responses as Record<string, { content?: unknown }>;
    expect(ourResponses['201']).toEqual(upstreamResponses['201']);
  });

  test('accepts documented responses', () => {
    expect(() => expectIamResponse(RESEND, 'POST', 201, JSON_HEADERS, { emailVerificationToken: 'a.b.c' })).not.toThrow();
    expect(() => expectIamResponse(`/api/v1${RESEND}`, 'post', 201, JSON_HEADERS, '{"emailVerificationToken":"a.b.c"}')).not.toThrow();
    expect(() =>
      expectIamResponse(RESEND, 'POST', 429, { 'retry-after': '60', ...JSON_HEADERS }, { group: 'user', code: 400, message: 'x' }),
    ).not.toThrow();
    expect(() =>
      expectIamResponse(VERIFY, 'POST', 400, JSON_HEADERS, {
        group: 'request',
        code: 0,
        validationDetail: [{ field: 'code', expression: 'len', originalValue: 12, reason: 'The code is 6 digits.' }],
      }),
    ).not.toThrow();
    expect(() => expectIamResponse(VERIFY, 'POST', 200, new Headers(JSON_HEADERS), { email: 'a@b.cd', emailVerified: true })).not.toThrow();
    expect(() => expectIamResponse(VERIFY, 'POST', 500, JSON_HEADERS, { group: 'email', code: 0, traces: ['x'] })).not.toThrow();
  });

  test('rejects what the document does not allow', () => {
    // Undocumented status.
    expect(iamResponseProblems(RESEND, 'POST', 200, JSON_HEADERS, { emailVerificationToken: 'x' })).toEqual([
      expect.stringContaining('not documented'),
    ]);
    expect(iamResponseProblems(RESEND, 'POST', 400, JSON_HEADERS, { group: 'user', code: 1 })).toHaveLength(1);
    // Undocumented operation.
    expect(() => iamResponseProblems('/users/other', 'POST', 201, JSON_HEADERS, {})).toThrow(/documents no/);
    expect(() => iamResponseProblems(RESEND, 'GET', 201, JSON_HEADERS, {})).toThrow(/documents no/);
    // Schema violations, refs included.
    expect(iamResponseProblems(RESEND, 'POST', 201, JSON_HEADERS, {})).not.toEqual([]);
    expect(iamResponseProblems(RESEND, 'POST', 201, JSON_HEADERS, { emailVerificationToken: 7 })).not.toEqual([]);
    expect(iamResponseProblems(RESEND, 'POST', 401, JSON_HEADERS, { group: 'user', code: '406' })).not.toEqual([]);
    expect(iamResponseProblems(RESEND, 'POST', 401, JSON_HEADERS, { code: 406 })).not.toEqual([]);
    expect(iamResponseProblems(RESEND, 'POST', 500, JSON_HEADERS, { group: 'user', code: 401, traces: [1] })).not.toEqual([]);
    expect(
      iamResponseProblems(VERIFY, 'POST', 400, JSON_HEADERS, { group: 'request', code: 0, validationDetail: [{ field: 1 }] }),
    ).not.toEqual([]);
    expect(iamResponseProblems(VERIFY, 'POST', 200, JSON_HEADERS, { email: 'a@b.cd', emailVerified: false })).not.toEqual([]);
    // Retry-After: required on the resend 429, and an integer.
    const quota = { group: 'user', code: 400, message: 'x' };
    expect(iamResponseProblems(RESEND, 'POST', 429, JSON_HEADERS, quota)).toEqual([expect.stringContaining('Retry-After')]);
    expect(iamResponseProblems(RESEND, 'POST', 429, { ...JSON_HEADERS, 'Retry-After': '1.5' }, quota)).toEqual([
      expect.stringContaining('integer'),
    ]);
    expect(iamResponseProblems(RESEND, 'POST', 429, { ...JSON_HEADERS, 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' }, quota)).toEqual([
      expect.stringContaining('integer'),
    ]);
    // Body and media type.
    expect(iamResponseProblems(RESEND, 'POST', 201, JSON_HEADERS, '')).toEqual([expect.stringContaining('body missing')]);
    expect(iamResponseProblems(RESEND, 'POST', 201, JSON_HEADERS, '{not json')).toEqual([expect.stringContaining('not JSON')]);
    expect(iamResponseProblems(RESEND, 'POST', 201, { 'Content-Type': 'text/html' }, { emailVerificationToken: 'x' })).toEqual([
      expect.stringContaining('Content-Type'),
    ]);
    expect(() => expectIamResponse(RESEND, 'POST', 201, JSON_HEADERS, {})).toThrow(/openapi\/iam-api.yaml/);
  });
});
