/** Hashing and comparison shared by the connectors' keys, event ids and webhook checks. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Lower-case hex SHA-256 of `text`, cut to its first `length` digits (all 64 by default). */
export function sha256Hex(text: string, length = 64): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * Constant-time equality of two secrets or signatures. Both sides are hashed first, so the compare
 * takes the same time whatever was sent, including a value of another length.
 */
export function sameSecret(expected: string | Buffer, given: string | Buffer): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
