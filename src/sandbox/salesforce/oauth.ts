/**
 * `POST /services/oauth2/token`: refresh_token, client_credentials and the JWT bearer grant
 * (RS256 assertion verified against the configured public key). Answers as Salesforce does:
 * `{access_token, instance_url, id, token_type, issued_at, signature}`; failures are 400
 * `{error, error_description}`.
 */
import { createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SalesforceContext } from './context.js';
import { INTEGRATION_USER } from './schema.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

function base64UrlDecode(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function newAccessToken(organizationId: string): string {
  // Salesforce session ids look like "<orgId15>!<opaque>".
  return `${organizationId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
}

type Verdict = { ok: true } | { ok: false; error: string; description: string };

function verifyJwt(ctx: SalesforceContext, assertion: string, loginUrl: string): Verdict {
  const parts = assertion.split('.');
  if (parts.length !== 3) return { ok: false, error: 'invalid_grant', description: 'invalid assertion' };
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; sub?: string; aud?: string | string[]; exp?: number };
  try {
    header = JSON.parse(base64UrlDecode(h).toString('utf8'));
    claims = JSON.parse(base64UrlDecode(p).toString('utf8'));
  } catch {
    return { ok: false, error: 'invalid_grant', description: 'invalid assertion' };
  }
  if (header.alg !== 'RS256') return { ok: false, error: 'invalid_grant', description: 'invalid assertion' };
  const key = createPublicKey(ctx.credentials.jwtPublicKeyPem);
  const valid = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, base64UrlDecode(s));
  if (!valid) return { ok: false, error: 'invalid_grant', description: 'invalid assertion' };
  if (claims.iss !== ctx.credentials.clientId) return { ok: false, error: 'invalid_client_id', description: 'client identifier invalid' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const accepted = [loginUrl, ...ctx.credentials.acceptedAudiences];
  if (!audiences.some((a) => a !== undefined && accepted.includes(a.replace(/\/$/, '')))) {
    return { ok: false, error: 'invalid_grant', description: 'audience is invalid' };
  }
  if (claims.sub !== ctx.credentials.username)
    return { ok: false, error: 'invalid_grant', description: "user hasn't approved this consumer" };
  const nowSec = Math.floor(ctx.store.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < nowSec)
    return { ok: false, error: 'invalid_grant', description: 'expired authorization code' };
  return { ok: true };
}

export function registerOAuthRoutes(
  app: FastifyInstance,
  ctx: SalesforceContext,
  urls: { instanceUrl: () => string; loginUrl: () => string },
): void {
  // The user behind a token: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_userinfo_endpoint.htm
  app.get('/services/oauth2/userinfo', async (request, reply) => {
    const token = (request.headers.authorization ?? '').replace(/^(Bearer|OAuth)\s+/i, '');
    if (ctx.checkToken(token) !== 'ok') return reply.code(403).send('Bad_OAuth_Token');
    const creds = ctx.credentials;
    return {
      sub: `${urls.loginUrl()}/id/${creds.organizationId}/${INTEGRATION_USER.id}`,
      user_id: INTEGRATION_USER.id,
      organization_id: creds.organizationId,
      preferred_username: creds.username,
      name: `${INTEGRATION_USER.firstName} ${INTEGRATION_USER.lastName}`,
      email: INTEGRATION_USER.email,
      user_type: 'STANDARD',
    };
  });
  app.post('/services/oauth2/token', async (request: FastifyRequest<{ Body: Record<string, string | undefined> }>, reply) => {
    const body = request.body ?? {};
    const creds = ctx.credentials;
    const fail = (error: string, description: string) => reply.code(400).send({ error, error_description: description });
    let verdict: Verdict;
    switch (body['grant_type']) {
      case 'refresh_token':
        if (body['client_id'] !== creds.clientId) return fail('invalid_client_id', 'client identifier invalid');
        if (body['client_secret'] !== undefined && body['client_secret'] !== creds.clientSecret)
          return fail('invalid_client', 'invalid client credentials');
        verdict =
          body['refresh_token'] === creds.refreshToken
            ? { ok: true }
            : { ok: false, error: 'invalid_grant', description: 'expired access/refresh token' };
        break;
      case 'client_credentials':
        if (body['client_id'] !== creds.clientId) return fail('invalid_client_id', 'client identifier invalid');
        verdict =
          body['client_secret'] === creds.clientSecret
            ? { ok: true }
            : { ok: false, error: 'invalid_client', description: 'invalid client credentials' };
        break;
      case JWT_BEARER_GRANT:
        verdict = verifyJwt(ctx, body['assertion'] ?? '', urls.loginUrl());
        break;
      default:
        return fail('unsupported_grant_type', 'grant type not supported');
    }
    if (!verdict.ok) return fail(verdict.error, verdict.description);
    const token = newAccessToken(creds.organizationId);
    ctx.issueToken(token);
    const issuedAt = String(ctx.store.now());
    const userId = INTEGRATION_USER.id;
    const id = `${urls.loginUrl()}/id/${creds.organizationId}/${userId}`;
    const signature = createHmac('sha256', creds.clientSecret)
      .update(id + issuedAt)
      .digest('base64');
    return {
      access_token: token,
      ...(body['grant_type'] === 'refresh_token' ? { refresh_token: creds.refreshToken } : {}),
      signature,
      scope: 'api refresh_token',
      instance_url: urls.instanceUrl(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  });
}
