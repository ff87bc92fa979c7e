import { normalizeEmailAddress } from './domain/address.js';
import { inStage } from './domain/errors.js';
import type { Lang } from './domain/lang.js';
import { startVerification } from './domain/send-verification-code.js';
import { loadServiceDependencies, type ServiceDependencies } from './service-dependencies.js';

export interface StartOptions {
  readonly lang?: Lang;
  /** Defaults to dependencies built from the environment, as the handlers build them. */
  readonly dependencies?: ServiceDependencies;
}

/**
 * Begins the IAM verification loop for a sign-up: creates the pending record, mails the first
 * code (it counts against the address's quota) and returns the token that resend and verify take.
 */
export async function startEmailVerification(email: string, options: StartOptions = {}): Promise<string> {
  const deps = options.dependencies ?? (await loadServiceDependencies());
  const address = normalizeEmailAddress(email);
  const token = await inStage('create-token', () => deps.sessionTokens.issue(address, deps.clock()));
  await startVerification(deps.send, { address, lang: options.lang ?? 'en' });
  return token;
}
