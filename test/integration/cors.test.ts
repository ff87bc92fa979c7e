/**
 * CORS for the IAM routes through the local API Gateway bridge and the real IAM handler, with
 * CORS_ALLOWED_ORIGINS set for both, as `npm start` and the stack set it. Each request is what a
 * browser sends (a preflight: OPTIONS with Origin and Access-Control-Request-*), and each answer
 * is judged the way a browser's CORS check judges it.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { ROUTES } from '../../lambdas/routes.js';
import { createApiBridge, defaultRoutes, type ApiBridge } from '../../local/api-gateway-bridge.js';
import { parseAllowedOrigins } from '../../lambdas/http/cors.js';
import { loadServiceDependencies } from '../../src/service-dependencies.js';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { freshAddress } from '../support/fresh-address.js';
import { NO_ROUTE_BODY, NO_ROUTE_STATUS } from '../../lambdas/http/no-route.js';

const APP = 'https://app.example.com';
const ADMIN = 'http://localhost:5173';
const OTHER = 'https://evil.example.net';
const ALLOWED = `${APP}, ${ADMIN}`;

let bridge: ApiBridge;
let baseUrl: string;
let previous: string | undefined;
beforeAll(async () => {
  previous = process.env.CORS_ALLOWED_ORIGINS;
  process.env.CORS_ALLOWED_ORIGINS = ALLOWED;
  bridge = createApiBridge({ routes: defaultRoutes(), corsAllowedOrigins: parseAllowedOrigins(ALLOWED) });
  baseUrl = await bridge.listen(0, '127.0.0.1');
  await bridge.preload();
});
afterAll(async () => {
  await bridge.close();
  if (previous === undefined) delete process.env.CORS_ALLOWED_ORIGINS;
  else process.env.CORS_ALLOWED_ORIGINS = previous;
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A browser's preflight for a POST with these non-safelisted request headers. */
function preflight(path: string, origin: string, requestHeaders = 'authorization,content-type') {
  return send('OPTIONS', path, { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': requestHeaders });
}

const list = (value: string | string[] | undefined) =>
  String(value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

/** The browser's CORS check of a preflight answer (Fetch standard, without credentials). */
function preflightPasses(answer: Answer, origin: string, requestHeaders: string[]): boolean {
  if (answer.status < 200 || answer.status > 299) return false;
  const allowOrigin = answer.headers['access-control-allow-origin'];
  if (allowOrigin !== '*' && allowOrigin !== origin) return false;
  const methods = list(answer.headers['access-control-allow-methods']);
  const headers = list(answer.headers['access-control-allow-headers']);
  return methods.includes('post') && requestHeaders.every((header) => headers.includes(header) || headers.includes('*'));
}

/** Whether a page's script may read the response, and which non-safelisted headers it sees. */
function readableBy(answer: Answer, origin: string): { readable: boolean; exposed: string[] } {
  const allowOrigin = answer.headers['access-control-allow-origin'];
  const readable = allowOrigin === '*' || allowOrigin === origin;
  return { readable, exposed: readable ? list(answer.headers['access-control-expose-headers']) : [] };
}

describe('preflight (OPTIONS) on the IAM routes', () => {
  test.each([ROUTES.resendCode.path, ROUTES.verifyCode.path])('%s: each allowed origin passes', async (path) => {
    for (const origin of [APP, ADMIN]) {
      const answer = await preflight(path, origin);
      expect(answer.status).toBe(204);
      expect(answer.body).toBe('');
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
      expect(answer.headers.vary).toBe('Origin');
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
      expect(Number(answer.headers['access-control-max-age'])).toBeGreaterThan(0);
      expect(preflightPasses(answer, origin, ['authorization', 'content-type', 'accept-language'])).toBe(true);
    }
  });

  test('an origin not on the list fails the browser check', async () => {
    const answer = await preflight(ROUTES.resendCode.path, OTHER);
    expect(answer.headers['access-control-allow-origin']).not.toBe(OTHER);
    expect(preflightPasses(answer, OTHER, ['authorization'])).toBe(false);
  });

  test('a header the routes do not take is not allowed', async () => {
    const answer = await preflight(ROUTES.resendCode.path, APP, 'authorization,x-custom');
    expect(preflightPasses(answer, APP, ['authorization', 'x-custom'])).toBe(false);
  });

  test('the RPC routes and the page have no preflight: the answer for any unknown method', async () => {
    for (const path of [ROUTES.rpcPost.path, ROUTES.showVerificationPage.path]) {
      const answer = await preflight(path, APP);
      expect(answer.status).toBe(NO_ROUTE_STATUS);
      expect(JSON.parse(answer.body)).toEqual(NO_ROUTE_BODY);
    }
  });
});

describe('actual requests from a page', () => {
  test('429 with Retry-After: readable by an allowed origin, Retry-After exposed to its script', async () => {
    const deps = await loadServiceDependencies();
    const token = await startEmailVerification(freshAddress('cors'), { dependencies: deps });
    // The first mail counts: a resend right after it is refused with the wait.
    const answer = await send('POST', ROUTES.resendCode.path, { Origin: APP, Authorization: `Bearer ${token}` });
    expect(answer.status).toBe(429);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    expect(readableBy(answer, APP)).toEqual({ readable: true, exposed: ['retry-after'] });
    expect(JSON.parse(answer.body)).toMatchObject({ group: 'user', code: 400 });
  });

  test('401 for a forged token carries CORS headers too, so the page can read the code', async () => {
    const answer = await send('POST', ROUTES.verifyCode.path, {
      Origin: ADMIN,
      Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged',
      'Content-Type': 'application/json',
    }, '{"code":"123456"}');
    expect(answer.status).toBe(401);
    expect(readableBy(answer, ADMIN).readable).toBe(true);
    expect(JSON.parse(answer.body)).toMatchObject({ group: 'user', code: 406 });
  });

  test('an origin not on the list gets no Access-Control-Allow-Origin', async () => {
    const answer = await send('POST', ROUTES.resendCode.path, { Origin: OTHER, Authorization: 'Bearer x' });
    expect(answer.status).toBe(401);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers.vary).toBe('Origin');
    expect(readableBy(answer, OTHER).readable).toBe(false);
  });

  test("API Gateway's own errors (an unknown path) carry CORS headers", async () => {
    const answer = await send('POST', '/api/v1/users/no-such-route', { Origin: APP });
    expect(answer.status).toBe(NO_ROUTE_STATUS);
    expect(readableBy(answer, APP).readable).toBe(true);
  });
});

describe('CORS_ALLOWED_ORIGINS', () => {
  test.each([
    ['', []],
    [' https://a.example , http://localhost:5173 ', ['https://a.example', 'http://localhost:5173']],
    ['*', ['*']],
  ])('%j', (raw, origins) => {
    expect(parseAllowedOrigins(raw)).toEqual(origins);
  });

  test.each([
    ['*,https://a.example', /cannot be listed with others/],
    ['https://a.example/', /did you mean "https:\/\/a.example"/],
    ['https://A.example', /did you mean "https:\/\/a.example"/],
    ['https://a.example/app', /not an origin/],
    ['a.example', /not an origin/],
    ['ftp://a.example', /not an origin/],
  ])('%j is refused', (raw, message) => {
    expect(() => parseAllowedOrigins(raw)).toThrow(message);
  });
});
