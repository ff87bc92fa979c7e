import { ROUTES } from '../../../lambdas/routes.js';
import { requestBaseUrl, verificationLink } from '../../../lambdas/rpc/verification-link.js';
import { buildProxyEvent } from '../../../local/proxy-event.js';

const PAGE = ROUTES.showVerificationPage.path;

describe('verificationLink', () => {
  test.each([
    ['https://verify.example.org', `https://verify.example.org${PAGE}?token=t.k&lang=en`],
    ['https://verify.example.org/', `https://verify.example.org${PAGE}?token=t.k&lang=en`],
    // The ApiUrl output ends in /prod/.
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', `https://abc123.execute-api.eu-west-1.amazonaws.com/prod${PAGE}?token=t.k&lang=en`],
    ['https://id.example.org/auth//', `https://id.example.org/auth${PAGE}?token=t.k&lang=en`],
  ])('base %s', (base, link) => {
    expect(verificationLink(base, 't.k', 'en')).toBe(link);
    expect(new URL(link).pathname).not.toContain('//');
  });

  test('the token and language are query-encoded', () => {
    const link = new URL(verificationLink('https://x.example/', 'a+b/c=', 'zh'));
    expect(link.searchParams.get('token')).toBe('a+b/c=');
    expect(link.searchParams.get('lang')).toBe('zh');
  });
});

describe('requestBaseUrl (PUBLIC_BASE_URL unset)', () => {
  test('execute-api domain: host and stage', () => {
    for (const route of [ROUTES.rpcPost, ROUTES.showVerificationPage]) {
      const event = buildProxyEvent({ method: route.method, path: route.path, stage: 'prod', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com' });
      expect(requestBaseUrl(event)).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
    }
  });

  test('custom domain with a base path: the base path, not the stage', () => {
    for (const [route, sent] of [
      [ROUTES.rpcPost, '/auth/'],
      [ROUTES.rpcGet, '/auth'],
      [ROUTES.showVerificationPage, `/auth${PAGE}`],
    ] as const) {
      const event = buildProxyEvent({ method: route.method, path: sent, resource: route.path, requestPath: sent, stage: 'prod', domainName: 'id.example.org' });
      expect(requestBaseUrl(event)).toBe('https://id.example.org/auth');
      expect(verificationLink(requestBaseUrl(event), 't', 'en')).toBe(`https://id.example.org/auth${PAGE}?token=t&lang=en`);
    }
  });

  test('custom domain without a base path: the host alone', () => {
    const event = buildProxyEvent({ method: 'POST', path: '/', requestPath: '/', stage: 'prod', domainName: 'id.example.org' });
    expect(requestBaseUrl(event)).toBe('https://id.example.org');
  });
});
