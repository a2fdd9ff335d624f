/**
 * `POST /oauth/v1/token` of a HubSpot public app, refresh_token grant only: form-encoded
 * `grant_type`, `client_id`, `client_secret`, `refresh_token`; answers
 * `{token_type, refresh_token, access_token, expires_in}` (seconds). A refused request is 400 with
 * HubSpot's OAuth error body `{status: 'BAD_REFRESH_TOKEN', message, correlationId}`.
 * https://developers.hubspot.com/docs/api-reference/auth-oauth-v1/tokens/post-oauth-v1-token
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HubSpotContext } from './context.js';

export const TOKEN_PATH = '/oauth/v1/token';

function oauthError(status: string, message: string): Record<string, string> {
  return { status, message, correlationId: randomUUID() };
}

export function registerHubSpotOAuthRoutes(app: FastifyInstance, ctx: HubSpotContext): void {
  app.post(TOKEN_PATH, async (request: FastifyRequest<{ Body: Record<string, string | undefined> | undefined }>, reply) => {
    const body = request.body ?? {};
    const { clientId, refreshToken, webhookSecret: clientSecret } = ctx.credentials;
    const fail = (status: string, message: string) => reply.code(400).send(oauthError(status, message));
    if (body['grant_type'] !== 'refresh_token') return fail('BAD_GRANT_TYPE', 'missing or unknown grant type');
    if (clientId === undefined || body['client_id'] !== clientId) return fail('BAD_CLIENT_ID', 'missing or unknown client id');
    if (body['client_secret'] !== clientSecret) return fail('BAD_CLIENT_SECRET', 'missing or invalid client secret');
    if (refreshToken === undefined || body['refresh_token'] !== refreshToken)
      return fail('BAD_REFRESH_TOKEN', 'missing or invalid refresh token');
    const { token, ttlMs } = ctx.issueAccessToken();
    return { token_type: 'bearer', refresh_token: refreshToken, access_token: token, expires_in: Math.ceil(ttlMs / 1000) };
  });
}
