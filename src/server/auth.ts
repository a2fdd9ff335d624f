/** API token checks: constant time, whatever the token's length. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Matches a presented token against the configured ones. Compares SHA-256 digests (equal length
 * by construction) with `timingSafeEqual`, and always compares against every token so the time
 * taken says nothing about which token or how much of it matched.
 */
export function createTokenMatcher(tokens: readonly string[]): (presented: string | undefined) => boolean {
  const digests = tokens.filter((t) => t.length > 0).map(digest);
  return (presented) => {
    if (presented === undefined || presented.length === 0 || digests.length === 0) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const known of digests) matched = timingSafeEqual(candidate, known) || matched;
    return matched;
  };
}

/**
 * The token in `Authorization: Bearer <token>`, or the password of `Authorization: Basic`
 * (browsers resend Basic credentials by themselves, which the queue dashboard's pages need).
 */
export function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (value === undefined || scheme === undefined) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * The key that seals the web app's session cookies, derived from the API tokens like the page
 * cursors' key: every replica of an install shares it, and changing the tokens signs everyone out.
 */
export function sessionKeyOf(apiTokens: readonly string[]): Buffer {
  return createHmac('sha256', 'dealwatch web session')
    .update([...apiTokens].sort().join('\n'))
    .digest();
}
