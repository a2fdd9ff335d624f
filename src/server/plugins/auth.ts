import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../errors.js';
import { createTokenMatcher, presentedToken } from '../auth.js';

/**
 * Decorates the token checks: `requireApiToken` (the manager API: a Bearer challenge) and
 * `requireDashboardToken` (Bull Board and the API docs, opened in a browser: a Basic challenge, so
 * the browser prompts). One scheme per challenge: a `WWW-Authenticate` naming Bearer and Basic
 * together makes Chromium show no prompt at all. The web app's pages redirect to `/login` instead.
 */
export const authPlugin = fp<{ apiTokens: readonly string[] }>(
  async (app, { apiTokens }) => {
    const matches = createTokenMatcher(apiTokens);
    if (apiTokens.length === 0) app.log.warn('DEALWATCH_API_TOKENS is empty: the manager API refuses every request');
    // Answers the 401 itself rather than throwing: scopes with their own error handler (Bull Board's)
    // must refuse the same way.
    const refuse = async (request: FastifyRequest, reply: FastifyReply, challenge: string, message: string) => {
      const body: ErrorBody = { error: { code: 'UNAUTHORIZED', message }, requestId: request.id };
      request.log.info({ code: 'UNAUTHORIZED', status: 401 }, 'request refused');
      await reply.code(401).header('www-authenticate', challenge).type('application/json').send(body);
    };
    app.decorate('apiTokenMatches', matches);
    app.decorate('requireApiToken', async (request, reply) => {
      if (matches(presentedToken(request.headers.authorization))) return;
      await refuse(request, reply, 'Bearer realm="dealwatch"', 'a valid API token is required (Authorization: Bearer <token>)');
    });
    app.decorate('requireDashboardToken', async (request, reply) => {
      if (matches(presentedToken(request.headers.authorization))) return;
      await refuse(
        request,
        reply,
        'Basic realm="dealwatch", charset="UTF-8"',
        'a valid API token is required (Bearer, or Basic with the token as password)',
      );
    });
  },
  { name: 'dealwatch-auth', fastify: '5.x' },
);
