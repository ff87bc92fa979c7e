import { createHash, timingSafeEqual } from 'node:crypto';

/** The outcome of recomputing a signature, shared by both signature schemes. */
export interface SignatureCheck {
  readonly matches: boolean;
  /** What the server signed, for the `SignatureDoesNotMatch` message clients debug with. */
  readonly stringToSign: string;
}

/**
 * Compares two signatures without leaking, through timing, how much of a guess was right.
 * Both sides are hashed first so that inputs of different lengths take the same path too.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
