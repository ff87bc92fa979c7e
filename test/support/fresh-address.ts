/**
 * Unique recipient addresses, so tests that share one DynamoDB Local (and one quota per address)
 * never collide: across tests, files, workers (pid) and runs (time + randomness).
 */
import { randomBytes } from 'node:crypto';

const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let counter = 0;

/** e.g. `resend-lq3k9x1f4-7-a1b2@example.com`; all lower case, so it equals its record key. */
export function freshAddress(label = 'user', domain = 'example.com'): string {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 24) || 'user';
  counter += 1;
  return `${safeLabel}-${run}-${counter}-${randomBytes(2).toString('hex')}@${domain.toLowerCase()}`;
}

/** `count` distinct fresh addresses. */
export function freshAddresses(count: number, label = 'user', domain = 'example.com'): string[] {
  return Array.from({ length: count }, () => freshAddress(label, domain));
}
