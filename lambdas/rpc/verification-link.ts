import type { Lang } from '../../src/domain/lang.js';
import { ROUTES } from '../routes.js';

/** The mailed link: the verification page under `baseUrl`, whether or not it ends in `/`. */
export function verificationLink(baseUrl: string, token: string, lang: Lang): string {
  const query = new URLSearchParams({ token, lang });
  return `${baseUrl.replace(/\/+$/, '')}${ROUTES.showVerificationPage.path}?${query}`;
}
