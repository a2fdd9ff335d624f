/**
 * JWT bearer assertion for the OAuth 2.0 JWT Bearer Flow (server-to-server, no refresh token).
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
 */
import { createPrivateKey, sign } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * RS256-signed assertion: iss = connected app consumer key, sub = username, aud = login URL
 * (https://login.salesforce.com, https://test.salesforce.com or the community URL), exp within 3 minutes.
 */
export function buildJwtAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKeyPem: string;
  nowMs: number;
}): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: input.clientId,
      sub: input.username,
      aud: input.audience.replace(/\/+$/, ''),
      exp: Math.floor(input.nowMs / 1000) + 180,
    }),
  );
  const signingInput = `${header}.${claims}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), createPrivateKey(input.privateKeyPem));
  return `${signingInput}.${base64url(signature)}`;
}

/**
 * `aud` of the assertion: login.salesforce.com (production) or test.salesforce.com (sandboxes) even when
 * the token is requested from a My Domain URL; an Experience Cloud site (or any other host) is its own origin.
 */
export function jwtAudience(loginUrl: string): string {
  const url = new URL(loginUrl);
  if (url.hostname.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (url.hostname.endsWith('.my.salesforce.com')) return 'https://login.salesforce.com';
  return url.origin;
}
